"""CLI commands 'report' (one self-contained HTML file) and 'export' (actor network for Gephi, GDELT-style CSV).

Registered on the main app by khabar.cli; the work is done by warehouse/report.py on a read-only connection.
"""
from __future__ import annotations

import csv
import io
import sys
import time
from datetime import date, datetime
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console

from khabar.cli_common import WAREHOUSE_OPT, fail, open_warehouse
from warehouse import write_atomic

console = Console(stderr=True)
DATE_FORMATS = ["%Y-%m-%d"]
EDGE_COLUMNS = ["source", "target", "source_label", "target_label", "events", "verbal_coop", "material_coop",
                "verbal_conflict", "material_conflict", "codes", "mean_goldstein"]


def _day(value: Optional[datetime]) -> Optional[date]:
    return value.date() if value else None


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    since_opt = typer.Option(None, "--since", formats=DATE_FORMATS, help="Only events on or after this date.")
    until_opt = typer.Option(None, "--until", formats=DATE_FORMATS, help="Only events on or before this date.")
    actor_opt = typer.Option(None, "--actor", help="Only events with this actor (name, alias, entity id or actor "
                                                   "code); repeat for several.")

    @app.command()
    def report(
        warehouse: Path = WAREHOUSE_OPT,
        out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="HTML file to write "
                                                "(default: WAREHOUSE/report.html)."),
        since: Optional[datetime] = since_opt,
        until: Optional[datetime] = until_opt,
        actor: Optional[list[str]] = actor_opt,
    ) -> None:
        """Write an analyst's report as ONE self-contained HTML file (works offline): timeline, actor network,
        dyad heat map, top events with evidence, entities and their spellings, what the runs did."""
        from warehouse.report import EmptyWarehouse, UnknownActor, build_report

        clock = time.perf_counter()
        con = open_warehouse(warehouse)
        try:
            page = build_report(con, since=_day(since), until=_day(until), actors=tuple(actor or ()))
        except (EmptyWarehouse, UnknownActor) as exc:
            fail(f"{warehouse}: {exc}")
        finally:
            con.close()
        target = write_atomic(out_file or (warehouse / "report.html"), page)
        console.print(f"wrote {target} ({len(page.encode('utf-8')) / 1e6:.2f} MB, "
                      f"{time.perf_counter() - clock:.1f} s)")

    @app.command()
    def export(
        fmt: str = typer.Option(..., "--format", "-f", help="gexf or graphml (actor network, for Gephi), or csv "
                                                           "(GDELT-style events; with --what network: the edges)."),
        what: Optional[str] = typer.Option(None, "--what", help="network or events (default: network for gexf and "
                                                                 "graphml, events for csv)."),
        warehouse: Path = WAREHOUSE_OPT,
        out_file: Optional[Path] = typer.Option(None, "--out", "-o", help="File to write (default: stdout)."),
        since: Optional[datetime] = since_opt,
        until: Optional[datetime] = until_opt,
        actor: Optional[list[str]] = actor_opt,
    ) -> None:
        """Export the actor network (GEXF, GraphML or an edge CSV) or the asserted events as a GDELT-style CSV."""
        fmt = fmt.lower()
        if fmt not in ("gexf", "graphml", "csv"):
            fail(f"unknown format {fmt!r}; choose gexf, graphml or csv")
        what = what or ("events" if fmt == "csv" else "network")
        if what not in ("network", "events"):
            fail(f"unknown --what {what!r}; choose network or events")
        if what == "events" and fmt != "csv":
            fail("events export only as csv")
        import networkx as nx

        from warehouse.report import (GDELT_COLUMNS, EmptyWarehouse, Filters, UnknownActor, check_not_empty,
                                      events_rows, network_graph)

        con = open_warehouse(warehouse)
        filters = Filters(since=_day(since), until=_day(until), actors=tuple(actor or ()))
        try:
            check_not_empty(con)
            if what == "events":
                rows = events_rows(con, filters)
                text = _csv(rows, list(GDELT_COLUMNS))
            else:
                g = network_graph(con, filters)
                if fmt == "gexf":
                    text = "\n".join(nx.generate_gexf(g)) + "\n"
                elif fmt == "graphml":
                    text = "\n".join(nx.generate_graphml(g)) + "\n"
                else:
                    rows = [{"source": u, "target": v, "source_label": g.nodes[u]["label"],
                             "target_label": g.nodes[v]["label"], **d} for u, v, d in g.edges(data=True)]
                    text = _csv(rows, EDGE_COLUMNS)
        except (EmptyWarehouse, UnknownActor) as exc:
            fail(f"{warehouse}: {exc}")
        finally:
            con.close()
        if out_file:
            out_file.write_text(text, encoding="utf-8")
            console.print(f"wrote {out_file}")
        else:
            sys.stdout.write(text)


def _csv(rows: list[dict], fields: list[str]) -> str:
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buf.getvalue()
