"""CLI commands for 'serve' (registered on the main app by khabar.cli)."""
from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from khabar.cli_common import check_stage, fail
from khabar.config import DEFAULT_WAREHOUSE, STAGES

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command()
    def serve(
        inbox: Path = typer.Option(..., "--inbox", help="Directory to watch (recursive); files are never moved or "
                                                         "deleted, a file is processed once per content hash."),
        cron: str = typer.Option("*/15 * * * *", "--cron", help="Cron schedule of inbox runs (UTC)."),
        warehouse: Path = typer.Option(DEFAULT_WAREHOUSE, "--warehouse", "-w", help="Warehouse directory.",
                                       envvar="KHABAR_WAREHOUSE"),
        until: str = typer.Option("load", help=f"Stop after this stage (then load): {', '.join(STAGES)}."),
        min_age: float = typer.Option(10.0, "--min-age", help="Skip files modified less than this many seconds "
                                                              "ago (still being written); the next run takes them."),
        name: str = typer.Option("khabar-inbox", help="Deployment name."),
        once: bool = typer.Option(False, "--once", help="Process the inbox once now, without a schedule."),
    ) -> None:
        """Serve the inbox flow on a cron schedule (needs a Prefect server: set PREFECT_API_URL)."""
        from prefect.schedules import Cron

        check_stage(until)
        if not inbox.is_dir():
            fail(f"inbox {inbox} is not a directory")
        try:
            Cron(cron)
        except ValueError as exc:
            fail(str(exc))
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
        from flows.serve import inbox as inbox_flow
        from flows.serve import inbox_parameters, serve_inbox

        if once:
            result = inbox_flow(**inbox_parameters(inbox, warehouse, until=until, min_age_seconds=min_age))
            console.print(f"processed {len(result['new_files'])} new file(s); {result['seen']} already processed")
            return
        if not os.environ.get("PREFECT_API_URL"):
            from prefect.settings import PREFECT_API_URL

            if not PREFECT_API_URL.value():
                console.print("[yellow]warning:[/] PREFECT_API_URL is not set: scheduled runs need a Prefect server "
                              "(`prefect server start --host 127.0.0.1`, then "
                              "PREFECT_API_URL=http://127.0.0.1:4200/api)")
        console.print(f"serving inbox {inbox.resolve()} -> {warehouse.resolve()} on cron {cron!r} (Ctrl-C stops)")
        serve_inbox(inbox, warehouse, cron=cron, until=until, min_age_seconds=min_age, name=name)
