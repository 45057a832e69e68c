"""The `khabar` command line: run the flow, query the warehouse, manage models, actors and evaluation."""
from __future__ import annotations

import json
import os
import sys
from collections import Counter
from pathlib import Path

import typer
from rich.console import Console
from rich.table import Table

from khabar import __version__, cli_actors, cli_eval, cli_models, cli_report, cli_serve
from khabar.cli_common import WAREHOUSE_OPT, fail, open_warehouse, quiet_prefect, require_models, run_options
from khabar.config import Settings

MAX_QUARANTINE_LINES = 20  # quarantined inputs listed one per line in the run summary
app = typer.Typer(
    name="khabar",
    help="Raw news text -> GDELT-style event warehouse (articles, mentions, entities, events, relations).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=True)
out = Console()


def version_callback(value: bool) -> None:
    if value:
        out.print(f"khabar {__version__}")
        raise typer.Exit()


@app.callback()
def main_options(version: bool = typer.Option(False, "--version", callback=version_callback, is_eager=True,
                                              help="Print the version and exit.")) -> None:
    """khabar: ingest -> clean -> dedup -> nlp -> link -> events -> load, as a Prefect flow."""


def print_summary(summary: dict, *, as_json: bool) -> None:
    if as_json:
        out.print_json(json.dumps(summary, default=str))
        return
    counts = summary["counts"]
    table = Table(title=f"khabar run {summary['run_id']} -> {summary['warehouse']}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("documents", "articles", "duplicates", "quarantined", "skipped_language", "sentences", "tokens",
                "mentions", "entities", "events", "relations"):
        if key in counts:
            table.add_row(key, str(counts[key]))
    out.print(table)
    quarantined = summary.get("quarantined", [])
    for q in quarantined[:MAX_QUARANTINE_LINES]:
        out.print(f"[yellow]quarantined[/] {q['source_path']}: {q['reason']} ({q['detail']})")
    if len(quarantined) > MAX_QUARANTINE_LINES:  # 50,000 bad records are a count, not 50,000 lines
        reasons = Counter(q["reason"] for q in quarantined)
        out.print(f"[yellow]… and {len(quarantined) - MAX_QUARANTINE_LINES} more quarantined[/] ("
                  + ", ".join(f"{r}: {n}" for r, n in reasons.most_common()) + "); all of them: "
                  "SELECT source_path, reason, detail FROM quarantine")
    loaded = counts.get("articles", 0) - counts.get("duplicates", 0)
    skipped = (f", {counts['skipped_language']} kept but not parsed (a language without models: "
               "SELECT language, count(*) FROM articles WHERE nlp_status = 'skipped_language' GROUP BY 1)"
               if counts.get("skipped_language") else "")
    out.print(f"loaded {loaded}, duplicates {counts.get('duplicates', 0)}, quarantined {counts.get('quarantined', 0)}"
              + skipped)


@app.command()
@run_options
def run(
    inputs: list[Path] = typer.Argument(..., help="Files or directories (.txt, .jsonl, .json, .html), recursive."),
    *,
    settings: Settings,  # the run options (khabar.cli_common.RUN_OPTIONS), checked: only those given as flags
    until: str,
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print nothing but errors."),
    as_json: bool = typer.Option(False, "--json", help="Print a machine-readable summary."),
) -> None:
    """Run the ETL flow over INPUTS into the warehouse (ephemeral Prefect API unless PREFECT_API_URL is set)."""
    from tasks.ingest import InputNotFoundError, discover_files

    try:
        discover_files(inputs)
    except InputNotFoundError as exc:
        fail(str(exc))
    require_models(settings, until)
    quiet_prefect()
    if quiet:  # Prefect's own INFO lines too; warnings and errors still reach stderr
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    from contextlib import nullcontext

    from flows.pipeline import etl
    from flows.progress import HISTORY_FILE, ProgressDisplay, planned_stages
    from khabar.interrupt import RunGuard

    # Progress bar with per-stage counts and an ETA on stderr; none for --quiet or --json (scripts).
    display = nullcontext() if (quiet or as_json) else ProgressDisplay(
        planned_stages(until), console, history_path=settings.warehouse / HISTORY_FILE)
    guard = RunGuard(planned_stages(until), say=lambda line: console.print(line, markup=False, highlight=False,
                                                                         soft_wrap=True),
                     before_exit=getattr(display, "abandon", None))
    try:
        with guard, display:  # the guard first: it must block Ctrl-C before any thread starts
            summary = etl([str(p.resolve()) for p in inputs], settings=settings, until=until)
    except Exception as exc:  # the flow's own logs carry the traceback; the CLI says what failed
        console.print(f"[red]error:[/] run failed: {type(exc).__name__}: {exc}")
        raise typer.Exit(1)
    if not quiet:
        print_summary(summary, as_json=as_json)
    if not summary["counts"].get("articles"):
        console.print("[red]nothing could be loaded[/]")
        raise typer.Exit(1)


@app.command()
def query(
    sql: str = typer.Argument(..., help="SQL to run (read-only)."),
    warehouse: Path = WAREHOUSE_OPT,
    fmt: str = typer.Option("table", "--format", "-f", help="table | csv | json"),
    max_rows: int = typer.Option(200, help="Rows to print in table format."),
) -> None:
    """Run SQL read-only against the warehouse's khabar.duckdb."""
    import duckdb

    from warehouse import refuse_writes

    con = open_warehouse(warehouse)
    try:
        refuse_writes(sql)
        rel = con.sql(sql)
        if rel is None:
            console.print("statement returned nothing")
            return
        if fmt == "json":
            cols = rel.columns
            rows = [dict(zip(cols, r)) for r in rel.fetchall()]
            out.print_json(json.dumps(rows, default=str, ensure_ascii=False))
        elif fmt == "csv":
            import csv

            writer = csv.writer(sys.stdout)
            writer.writerow(rel.columns)
            writer.writerows(rel.fetchall())
        else:
            table = Table(*rel.columns)
            rows = rel.limit(max_rows + 1).fetchall()  # relations have no fetchmany in DuckDB 2.0
            for row in rows[:max_rows]:
                table.add_row(*("" if v is None else str(v) for v in row))
            out.print(table)
            if len(rows) > max_rows:  # say so: a silently cut table reads as the whole answer
                console.print(f"[yellow]first {max_rows} rows shown[/]; more with --max-rows N, or -f csv / -f json")
    except duckdb.Error as exc:
        console.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1)
    finally:
        con.close()


@app.command()
def compact(
    warehouse: Path = WAREHOUSE_OPT,
    keep_minutes: float = typer.Option(60, help="Keep files a compaction made obsolete this long, for readers "
                                                "that opened the catalog before it; older ones are deleted now."),
) -> None:
    """Merge each table's Parquet partitions (and tombstones) into one, under the writer lock; readers keep
    reading throughout."""
    from tasks.load import compact_warehouse
    from warehouse import db_path

    if not db_path(warehouse).exists():
        fail(f"no warehouse at {db_path(warehouse)} (run `khabar run INPUT --warehouse {warehouse}` first)")
    result = compact_warehouse(warehouse, keep_minutes=keep_minutes)
    merged = ", ".join(f"{t} ({n} files)" for t, n in result.tables.items()) or "nothing to merge"
    out.print(f"compacted: {merged}; removed {result.files_removed} obsolete files "
              f"({result.bytes_removed / 1e6:.1f} MB); memory limit {result.memory_limit or 'none (retried without)'}")


@app.command()
def tables() -> None:
    """Print the warehouse table reference (generated from schemas/)."""
    from schemas.docs import markdown

    out.print(markdown(), markup=False, highlight=False)


for module in (cli_models, cli_actors, cli_eval, cli_serve, cli_report):
    module.register(app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
