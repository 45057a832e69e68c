"""CLI commands for 'actors' (registered on the main app by khabar.cli): list, import, unknown."""
from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
import yaml
from rich.console import Console
from rich.table import Table

from khabar.cli_common import open_warehouse

actors_app = typer.Typer(help="The actor dictionary: list it, grow it from Wikidata, see unknown names.",
                         no_args_is_help=True)
console = Console()


@actors_app.command("list")
def list_actors(type_: Optional[str] = typer.Option(None, "--type", help="PERSON, ORGANIZATION, COUNTRY, CITY"),
                include_countries: bool = typer.Option(False, "--countries", help="Also list the CLDR countries."),
                extra: list[Path] = typer.Option([], "--extra", help="Extra actor YAML files or directories.")) -> None:
    """List dictionary actors with their codes and Urdu names."""
    from tasks.actors import default_actor_code, load_dictionary
    d = load_dictionary(tuple(extra))
    table = Table("entity_id", "name", "type", "country", "actor_code", "ur")
    for a in d.actors.values():
        if (type_ and a.type != type_.upper()) or (a.type == "COUNTRY" and not include_countries and type_ != "COUNTRY"):
            continue
        table.add_row(a.entity_id, a.name, a.type, a.country or "", default_actor_code(d, a) or "",
                      " / ".join(a.aliases.get("ur", ())))
    console.print(table)


@actors_app.command("import")
def import_cmd(file: Path = typer.Argument(..., exists=True, dir_okay=False, help="Wikidata JSON lines (dump format)."),
               out: Path = typer.Option(Path("khabar/lang/actors/wikidata_import.yaml"), "--out",
                                        help="Actor YAML file to create or extend.")) -> None:
    """Add people, organisations, countries and cities from a Wikidata JSON export to an actor YAML file."""
    from tasks.actors import ActorDataError, import_wikidata, load_dictionary, merge_entries, read_actor_file
    d = load_dictionary()
    try:
        with file.open(encoding="utf-8") as fh:
            entries, skipped = import_wikidata(fh, d)
        existing = (yaml.safe_load(out.read_text(encoding="utf-8")) or []) if out.exists() else []
        merged = merge_entries(existing, entries)
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(out.suffix + ".tmp")
        tmp.write_text("# Imported from Wikidata by `khabar actors import`; edit freely.\n" +
                       yaml.safe_dump(merged, allow_unicode=True, sort_keys=False, default_flow_style=None),
                       encoding="utf-8")
        read_actor_file(tmp, d.roles)  # what we write must load
        tmp.replace(out)
    except ActorDataError as exc:
        console.print(f"[red]error:[/red] {exc}")
        raise typer.Exit(1)
    console.print(f"imported {len(entries)} actor(s) into {out}; skipped {len(skipped)}")
    for line in skipped:
        console.print(f"  skipped {line}")


@actors_app.command("unknown")
def unknown_cmd(warehouse: Path = typer.Option(..., "--warehouse", help="Warehouse directory (opened read-only)."),
                limit: int = typer.Option(50, "--limit")) -> None:
    """Provisional entities (names the dictionary does not know), most mentioned first."""
    con = open_warehouse(warehouse)
    try:
        rows = con.execute(
            """SELECT e.entity_id, e.canonical_name, e.entity_type, count(m.mention_id) AS mentions,
                      count(DISTINCT m.article_id) AS articles
               FROM entities e LEFT JOIN mentions m USING (entity_id)
               WHERE e.is_provisional
               GROUP BY ALL ORDER BY mentions DESC, e.canonical_name LIMIT ?""", [limit]).fetchall()
    finally:
        con.close()
    table = Table("entity_id", "name", "type", "mentions", "articles")
    for r in rows:
        table.add_row(*(str(x) if x is not None else "" for x in r))
    console.print(table)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""
    app.add_typer(actors_app, name="actors")
