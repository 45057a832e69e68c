"""CLI commands for 'models' (registered on the main app by khabar.cli).

  khabar models [--models-dir DIR]                  list models per language: processors, packages, sizes
  khabar models download LANG [--models-dir DIR]    stanza.download into DIR (needs internet)
"""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from tasks.nlp import (
    ModelDownloadError,
    ModelNotFoundError,
    available_models,
    download_models,
    model_version,
    pipeline_processors,
    resolve_models_dir,
)

MODELS_DIR_HELP = "Stanza resources directory (default: KHABAR_MODELS_DIR, STANZA_RESOURCES_DIR, ~/stanza_resources)."


def _mb(size: int) -> str:
    return f"{size / 1e6:.2f} MB"


def list_models(models_dir: Optional[Path] = None) -> tuple[int, str]:
    """(exit code, text) of `khabar models`: 1 with the how-to-get-them message when nothing is there."""
    directory = resolve_models_dir(models_dir)
    rows = available_models(directory)
    if not rows:
        try:
            pipeline_processors("ur", directory)
        except ModelNotFoundError as exc:
            return 1, str(exc)
    lines = [f"models dir: {directory}"]
    langs = sorted({r["lang"] for r in rows})
    for lang in langs:
        mine = [r for r in rows if r["lang"] == lang]
        try:
            version = model_version(lang, directory)
        except ModelNotFoundError:
            version = "unusable (no tokenizer)"
        total = sum(r["size_bytes"] for r in mine)
        lines.append(f"{lang}  version {version}  {len(mine)} file(s), {_mb(total)}")
        for r in mine:
            flag = " (default)" if r["default"] else ""
            lines.append(f"  {r['processor']:<12} {r['package']:<24} {_mb(r['size_bytes']):>10}{flag}")
    return 0, "\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add the `models` sub-app to the main app."""
    models_app = typer.Typer(help="Stanza models: list what is installed, download more.", no_args_is_help=False)

    @models_app.callback(invoke_without_command=True)
    def models(ctx: typer.Context,
               models_dir: Optional[Path] = typer.Option(None, "--models-dir", help=MODELS_DIR_HELP)) -> None:
        """List installed models per language: processors, packages, sizes."""
        if ctx.invoked_subcommand is not None:
            return
        code, text = list_models(models_dir)
        typer.echo(text, err=code != 0)
        raise typer.Exit(code)

    @models_app.command("download")
    def download(lang: str = typer.Argument(..., help="Language code, e.g. ur."),
                 models_dir: Optional[Path] = typer.Option(None, "--models-dir", help=MODELS_DIR_HELP)) -> None:
        """Download the default Stanza models for LANG (needs internet)."""
        directory = resolve_models_dir(models_dir)
        try:
            download_models(lang, directory)
        except ModelDownloadError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(1)
        code, text = list_models(directory)
        typer.echo(text)

    app.add_typer(models_app, name="models")
