"""CLI commands for 'serve' (registered on the main app by khabar.cli)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from khabar.cli_common import (BATCH_SIZE_OPT, DASK_ADDRESS_OPT, DEDUP_THRESHOLD_OPT, FLOW_TIMEOUT_OPT, LANGUAGE_OPT,
                               MAX_FILE_BYTES_OPT, MODELS_DIR_OPT, SHINGLE_SIZE_OPT, STAGE_TIMEOUT_OPT, UNTIL_OPT,
                               WAREHOUSE_OPT, WEBHOOK_URL_OPT, WORKERS_OPT, fail, run_settings)

console = Console(stderr=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command()
    def serve(
        inbox: Path = typer.Option(..., "--inbox", help="Directory to watch (recursive); files are never moved or "
                                                         "deleted, a file is processed once per content hash."),
        cron: str = typer.Option("*/15 * * * *", "--cron", help="Cron schedule of inbox runs, in --timezone."),
        timezone: str = typer.Option("UTC", "--timezone", help="IANA time zone of the cron schedule, e.g. "
                                                                "Asia/Karachi (daylight saving followed)."),
        warehouse: Path = WAREHOUSE_OPT,
        until: str = UNTIL_OPT,
        workers: Optional[int] = WORKERS_OPT,
        models_dir: Optional[Path] = MODELS_DIR_OPT,
        dask_address: Optional[str] = DASK_ADDRESS_OPT,
        batch_size: Optional[int] = BATCH_SIZE_OPT,
        max_file_bytes: Optional[int] = MAX_FILE_BYTES_OPT,
        dedup_threshold: Optional[float] = DEDUP_THRESHOLD_OPT,
        shingle_size: Optional[int] = SHINGLE_SIZE_OPT,
        language: Optional[str] = LANGUAGE_OPT,
        flow_timeout: Optional[float] = FLOW_TIMEOUT_OPT,
        stage_timeout: Optional[float] = STAGE_TIMEOUT_OPT,
        webhook_url: Optional[str] = WEBHOOK_URL_OPT,
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
        settings = run_settings(warehouse, until=until, workers=workers, models_dir=models_dir,
                                dask_address=dask_address, max_file_bytes=max_file_bytes,
                                dedup_threshold=dedup_threshold, shingle_size=shingle_size, language=language,
                                flow_timeout=flow_timeout, stage_timeout=stage_timeout, webhook_url=webhook_url,
                                batch_size=batch_size)
        settings.pop("warehouse")  # a parameter of its own
        os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
        os.environ.setdefault("DO_NOT_TRACK", "1")
        os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")
        from flows.serve import inbox as inbox_flow
        from flows.serve import inbox_parameters, serve_inbox
        from khabar.interrupt import start_watchdog

        start_watchdog()  # its runs' NLP workers and temporary Prefect server end with it, even on kill -9
        if once:
            result = inbox_flow(**inbox_parameters(inbox, warehouse, settings=settings, until=until,
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
        serve_inbox(inbox, warehouse, cron=cron, timezone=timezone, settings=settings, until=until,
                    min_age_seconds=min_age, name=name)
