"""Checks shared by the CLI commands: one wording and one exit code for each kind of user error."""
from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn, Optional

import duckdb
import typer
from rich.console import Console

from khabar.config import DEFAULT_WAREHOUSE, STAGES

console = Console(stderr=True)
USAGE_ERROR = 2  # bad argument, missing input, missing warehouse or models: nothing was done

# The options of a pipeline run, declared once: `khabar run` and `khabar serve` take the same ones
# (same names, defaults, help and environment variables), and run_settings() turns them into the flow's settings.
WAREHOUSE_OPT = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", "-w", help="Warehouse directory.",
                             envvar="KHABAR_WAREHOUSE")
UNTIL_OPT = typer.Option("load", help=f"Stop after this stage (then load): {', '.join(STAGES)}.")
WORKERS_OPT = typer.Option(None, help="NLP worker processes (default: CPU count).", envvar="KHABAR_WORKERS")
MODELS_DIR_OPT = typer.Option(None, "--models-dir", help="Stanza resources directory "
                              "(default: $KHABAR_MODELS_DIR, $STANZA_RESOURCES_DIR, stanza's own).")
DASK_ADDRESS_OPT = typer.Option(None, "--dask-address", help="Run NLP on this Dask scheduler.")
BATCH_SIZE_OPT = typer.Option(None, "--batch-size", help="Articles per micro-batch: each is staged and loaded on its "
                              "own, so memory follows it (default: $KHABAR_BATCH_SIZE, else 2000).")
MAX_FILE_BYTES_OPT = typer.Option(None, help="Larger files are quarantined as oversized.")
DEDUP_THRESHOLD_OPT = typer.Option(None, help="MinHash Jaccard threshold for near-duplicates.")
SHINGLE_SIZE_OPT = typer.Option(None, help="Word shingle size for MinHash.")
LANGUAGE_OPT = typer.Option(None, help="Language of every input (default: record's or detected).")
FLOW_TIMEOUT_OPT = typer.Option(None, "--flow-timeout", help="Seconds a run may take; then it ends as TimedOut "
                                "(default: $KHABAR_FLOW_TIMEOUT_SECONDS, else no limit).")
STAGE_TIMEOUT_OPT = typer.Option(None, "--stage-timeout", help="Seconds each stage task (and each NLP chunk) may "
                                 "take (default: $KHABAR_STAGE_TIMEOUT_SECONDS, else no limit).")
WEBHOOK_URL_OPT = typer.Option(None, "--webhook-url", help="POST a JSON notice here when a run fails, crashes or "
                               "times out (default: $KHABAR_WEBHOOK_URL).")


def run_settings(warehouse: Path, *, until: str, workers: Optional[int] = None, models_dir: Optional[Path] = None,
                 dask_address: Optional[str] = None, max_file_bytes: Optional[int] = None,
                 dedup_threshold: Optional[float] = None, shingle_size: Optional[int] = None,
                 language: Optional[str] = None, flow_timeout: Optional[float] = None,
                 stage_timeout: Optional[float] = None, webhook_url: Optional[str] = None,
                 batch_size: Optional[int] = None) -> dict[str, Any]:
    """The flow's `settings` from the run options (only those given), every one checked before any work:
    a bad value or, for a run that parses, missing Stanza models exits 2 with a message naming it."""
    from khabar.config import Settings, SettingsError

    check_stage(until)
    if STAGES.index(until) >= STAGES.index("nlp"):
        from tasks.nlp import ModelNotFoundError, require_models_dir, resolve_models_dir

        try:  # fail before any work, with the how-to, rather than deep inside the flow
            require_models_dir(resolve_models_dir(models_dir))
        except ModelNotFoundError as exc:
            fail(str(exc))
    settings = {
        "warehouse": str(warehouse), "workers": workers, "models_dir": str(models_dir) if models_dir else None,
        "dask_address": dask_address, "max_file_bytes": max_file_bytes, "dedup_threshold": dedup_threshold,
        "dedup_shingle_size": shingle_size, "default_language": language, "flow_timeout_seconds": flow_timeout,
        "stage_timeout_seconds": stage_timeout, "webhook_url": webhook_url, "batch_size": batch_size,
    }
    settings = {k: v for k, v in settings.items() if v is not None}
    try:  # every setting (flags and KHABAR_* variables) checked before any work, one message naming it
        Settings.from_env(**settings)
    except SettingsError as exc:
        fail(str(exc))
    return settings


def fail(message: str, code: int = USAGE_ERROR) -> NoReturn:
    console.print(f"[red]error:[/] {message}")
    raise typer.Exit(code)


def check_stage(until: str) -> None:
    if until not in STAGES:
        fail(f"unknown stage {until!r}; choose one of {', '.join(STAGES)}")


def open_warehouse(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only and sealed (nothing outside it readable or writable), or a clear error."""
    from warehouse import WarehouseNotFound, connect_readonly

    try:
        return connect_readonly(warehouse, sealed=True)
    except WarehouseNotFound as exc:
        fail(str(exc))
