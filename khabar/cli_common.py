"""What the CLI commands share: the run options (declared once, from the Settings model), and one wording and one
exit code for each kind of user error."""
from __future__ import annotations

import functools
import inspect
import os
from pathlib import Path
from typing import Any, Callable, NoReturn, Optional

import duckdb
import typer
from pydantic.fields import FieldInfo
from rich.console import Console

from khabar.config import DEFAULT_WAREHOUSE, STAGES, Settings, SettingsError, env_name, field_type, flags

console = Console(stderr=True)
USAGE_ERROR = 2  # bad argument, missing input, missing warehouse or models: nothing was done

UNTIL_OPT = typer.Option("load", help=f"Stop after this stage (then load): {', '.join(STAGES)}.")
METAVARS = {int: "INTEGER", float: "FLOAT", Path: "PATH"}  # shown in --help; the value itself arrives as text


def _run_option(name: str, field: FieldInfo) -> Any:
    """The option of one Settings field: flags --<name> (and its short one), variable KHABAR_<NAME>, the field's
    description as help, its default shown. Taken as text: Settings checks it, with the variables (one message)."""
    default = DEFAULT_WAREHOUSE if name == "warehouse" else None if field.default_factory else field.default
    return typer.Option(None, *flags(name), *(["-w"] if name == "warehouse" else []), envvar=env_name(name),
                        help=field.description, metavar=METAVARS.get(field_type(name), "TEXT"),
                        show_default=False if default is None else str(default))


# The options of a pipeline run, declared once, from the Settings model: one per field, named after it (flag
# --batch-size, variable KHABAR_BATCH_SIZE), in the model's order; @run_options gives them to a command.
RUN_OPTIONS: dict[str, Any] = {name: _run_option(name, field) for name, field in Settings.model_fields.items()}


# --warehouse of the commands that read a warehouse (query, compact, report, export, eval): the run option's flags,
# variable and help, with its default as a value
WAREHOUSE_OPT = typer.Option(DEFAULT_WAREHOUSE, *flags("warehouse"), "-w", envvar=env_name("warehouse"),
                             help=Settings.model_fields["warehouse"].description)

CONTEXT = "run_options_context"  # the click context, which tells a flag from a variable


def run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give `command` every run option (RUN_OPTIONS, and --until after --warehouse) in place of its keyword-only
    parameters `settings` and `until`: like sqlite-utils' shared click.option decorators, for Typer, which reads a
    command's options from its signature. The command gets them checked: `until` a stage, `settings` a Settings
    holding the flags given (Settings.from_flags; a value from a KHABAR_* variable is left to the flow, which reads
    the variables itself). A bad value, flag or variable, exits 2 with one message naming the setting."""
    own = [p.replace(kind=inspect.Parameter.KEYWORD_ONLY)
           for p in inspect.signature(command, eval_str=True).parameters.values()]
    names = [p.name for p in own]
    assert {"settings", "until"} <= set(names), f"{command.__name__} takes `settings` and `until`"
    options = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=option, annotation=Optional[str])
               for name, option in RUN_OPTIONS.items()]
    options.insert(1, inspect.Parameter("until", inspect.Parameter.KEYWORD_ONLY, default=UNTIL_OPT, annotation=str))
    rest = [p for p in own if p.name not in ("settings", "until")]
    at = len([p for p in own[:names.index("settings")] if p.name != "until"])
    context = inspect.Parameter(CONTEXT, inspect.Parameter.KEYWORD_ONLY, annotation=typer.Context)
    params = [*rest[:at], *options, *rest[at:], context]

    @functools.wraps(command)
    def with_run_options(**values: Any) -> Any:
        until, ctx = values.pop("until"), values.pop(CONTEXT)
        given = {name: value for name in RUN_OPTIONS if (value := values.pop(name)) is not None
                 and getattr(ctx.get_parameter_source(name), "name", None) != "ENVIRONMENT"}
        return command(**values, settings=run_settings(until, **given), until=until)

    with_run_options.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    with_run_options.__annotations__ = {p.name: p.annotation for p in params}
    return with_run_options


def run_settings(until: str, **given: object) -> Settings:
    """The run's settings from the options given (flags; None = not given), every one checked before any work,
    with the KHABAR_* variables: a bad value exits 2 with a message naming the setting."""
    check_stage(until)
    try:
        return Settings.from_flags(**given)
    except SettingsError as exc:
        fail(str(exc))


def require_models(settings: Settings, until: str) -> None:
    """A run that parses needs Stanza models: without them, exit 2 with the how-to, before any work."""
    if STAGES.index(until) >= STAGES.index("nlp"):
        from tasks.nlp import ModelNotFoundError, require_models_dir, resolve_models_dir

        try:  # fail before any work, with the how-to, rather than deep inside the flow
            require_models_dir(resolve_models_dir(settings.models_dir))
        except ModelNotFoundError as exc:
            fail(str(exc))


def quiet_prefect() -> None:
    """Ephemeral API defaults that keep a laptop or CI run self-contained; users' own settings win."""
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")


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
