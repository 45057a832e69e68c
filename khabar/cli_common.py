"""Checks shared by the CLI commands: one wording and one exit code for each kind of user error."""
from __future__ import annotations

from pathlib import Path
from typing import NoReturn

import duckdb
import typer
from rich.console import Console

from khabar.config import STAGES

console = Console(stderr=True)
USAGE_ERROR = 2  # bad argument, missing input, missing warehouse or models: nothing was done


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
