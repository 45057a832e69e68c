"""CLI commands for 'serve' (registered on the main app by khabar.cli)."""
from __future__ import annotations

import os
from pathlib import Path

import typer
from rich.console import Console

from khabar.cli_common import fail, quiet_prefect, require_models, run_options
from khabar.config import Settings

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command()
    @run_options
    def serve(
        inbox: Path = typer.Option(..., "--inbox", help="Directory to watch (recursive); files are never moved or "
                                                         "deleted, a file is processed once per content hash."),
        cron: str = typer.Option("*/15 * * * *", "--cron", help="Cron schedule of inbox runs, in --timezone."),
        timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone of the cron schedule, e.g. "
                                                                "Asia/Karachi (daylight saving followed)."),
        *,
        settings: Settings,  # the run options (khabar.cli_common.RUN_OPTIONS), checked: only those given as flags
        until: str,
        min_age: float = typer.Option(10.0, "--min-age", help="Skip files modified less than this many seconds "
                                                              "ago (still being written); the next run takes them."),
        name: str = typer.Option("khabar-inbox", help="Deployment name."),
        once: bool = typer.Option(False, "--once", help="Process the inbox once now, without a schedule."),
    ) -> None:
        """Serve the inbox flow on a cron schedule (needs a Prefect server: set PREFECT_API_URL).

        The same deployment for a worker of a work pool: prefect.yaml, `prefect deploy` (docs/operations.md).
        """
        from flows.serve import ScheduleError, inbox_schedule

        if not inbox.is_dir():
            fail(f"inbox {inbox} is not a directory")
        try:
            inbox_schedule(cron, timezone)
        except ScheduleError as exc:
            fail(str(exc))
        require_models(settings, until)
        warehouse = settings.warehouse  # a parameter of its own; the other flags given are the runs' `settings`
        given = settings.model_dump(mode="json", include=settings.model_fields_set - {"warehouse"})
        quiet_prefect()
        from flows.serve import inbox as inbox_flow
        from flows.serve import inbox_parameters, serve_inbox
        from khabar.interrupt import start_watchdog

        start_watchdog()  # its runs' NLP workers and temporary Prefect server end with it, even on kill -9
        if once:
            result = inbox_flow(**inbox_parameters(inbox, warehouse, settings=given, until=until,
                                                   min_age_seconds=min_age))
            console.print(f"processed {len(result['new_files'])} new file(s); {result['seen']} already processed")
            return
        if not os.environ.get("PREFECT_API_URL"):
            from prefect.settings import PREFECT_API_URL

            if not PREFECT_API_URL.value():
                console.print("[yellow]warning:[/] PREFECT_API_URL is not set: scheduled runs need a Prefect server "
                              "(`prefect server start --host 127.0.0.1`, then "
                              "PREFECT_API_URL=http://127.0.0.1:4200/api)")
        console.print(f"serving inbox {inbox.resolve()} -> {warehouse.resolve()} on cron {cron!r} in {timezone} "
                      "(Ctrl-C stops)")
        serve_inbox(inbox, warehouse, cron=cron, timezone=timezone, settings=given, until=until,
                    min_age_seconds=min_age, name=name)
