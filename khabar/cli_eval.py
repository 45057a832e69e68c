"""CLI command 'eval': score a warehouse against a gold file (format: eval/README.md).

Scoring is per article and micro-averaged over all gold articles:
- entities: gold entities vs the article's linked entities of type PERSON, ORGANIZATION or COUNTRY (cities are
  left out on both sides); a match is the same Wikidata id, or the same name (canonical name or English alias).
- events: gold (actor1, actor2, code) vs the article's non-negated events of COUNTED_MODALITIES as distinct
  (actor1, actor2, code); an actor matches by CAMEO actor code or by entity name, null matches null. "exact" needs
  the same CAMEO code, "quad" the same QuadClass. Matching is one-to-one.
Gold articles missing from the warehouse count fully against recall and are listed.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import typer

from khabar.cli_common import WAREHOUSE_OPT

EVAL_ENTITY_TYPES = ("PERSON", "ORGANIZATION", "COUNTRY")
# Event modalities the gold annotates (eval/README.md): what happened, what was stated, promised or announced for
# later. Conditional acts, allegations' content, mere possibilities and negated acts are not predictions.
COUNTED_MODALITIES = ("asserted", "intended", "future")


@dataclass
class Score:
    tp: int = 0
    n_pred: int = 0
    n_gold: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.n_pred if self.n_pred else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.n_gold if self.n_gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    def add(self, other: "Score") -> None:
        self.tp += other.tp
        self.n_pred += other.n_pred
        self.n_gold += other.n_gold

    def as_dict(self) -> dict[str, float | int]:
        return {"tp": self.tp, "predicted": self.n_pred, "gold": self.n_gold, "precision": round(self.precision, 3),
                "recall": round(self.recall, 3), "f1": round(self.f1, 3)}


@dataclass
class ArticleResult:
    key: str
    article_id: str | None
    entities: Score = field(default_factory=Score)
    events_exact: Score = field(default_factory=Score)
    events_quad: Score = field(default_factory=Score)
    missed_events: list[dict] = field(default_factory=list)
    spurious_events: list[dict] = field(default_factory=list)


class GoldFormatError(ValueError):
    pass


def load_gold(path: Path) -> list[dict]:
    """Read and validate a gold file; returns its articles."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if data.get("version") != 1 or not isinstance(data.get("articles"), list):
        raise GoldFormatError(f"{path}: needs version 1 and an 'articles' list")
    for i, art in enumerate(data["articles"]):
        where = f"{path} article {i}"
        if not (art.get("source") or art.get("record_id")):
            raise GoldFormatError(f"{where}: needs 'source' (file name) or 'record_id'")
        for ent in art.get("entities", []):
            if not ent.get("name"):
                raise GoldFormatError(f"{where}: entity without name")
        for ev in art.get("events", []):
            if not {"actor1", "actor2", "code"} <= set(ev) or not isinstance(ev["code"], str):
                raise GoldFormatError(f"{where}: event needs actor1, actor2 and code (a string): {ev}")
    return data["articles"]


def match_count(gold: list[Any], pred: list[Any], same: Callable[[Any, Any], bool]) -> tuple[int, list, list]:
    """Greedy one-to-one matching: (matches, unmatched gold, unmatched predictions)."""
    left = list(pred)
    missed = []
    tp = 0
    for g in gold:
        hit = next((k for k, p in enumerate(left) if same(g, p)), None)
        if hit is None:
            missed.append(g)
        else:
            tp += 1
            left.pop(hit)
    return tp, missed, left


def _fold(s: str | None) -> str:
    return (s or "").strip().casefold()


def entity_matches(gold: dict, pred: dict) -> bool:
    if gold.get("wikidata") and pred.get("wikidata_id"):
        return gold["wikidata"] == pred["wikidata_id"]
    names = {_fold(pred.get("canonical_name"))} | {_fold(a) for a in (pred.get("aliases") or [])}
    return _fold(gold["name"]) in names


def actor_matches(gold: str | None, code: str | None, name: str | None) -> bool:
    if gold is None:
        return code is None and name is None
    return gold == code or _fold(gold) == _fold(name)


def event_matches(gold: dict, pred: dict, by: str, quad_of: Callable[[str], int]) -> bool:
    if not (actor_matches(gold["actor1"], pred["actor1_code"], pred["actor1_name"])
            and actor_matches(gold["actor2"], pred["actor2_code"], pred["actor2_name"])):
        return False
    if by == "exact":
        return gold["code"] == pred["event_code"]
    return quad_of(gold["code"]) == pred["quad_class"]


def score_article(key: str, article_id: str | None, gold: dict, pred_entities: list[dict],
                  pred_events: list[dict], quad_of: Callable[[str], int]) -> ArticleResult:
    res = ArticleResult(key, article_id)
    g_ents = gold.get("entities", [])
    tp, _, _ = match_count(g_ents, pred_entities, entity_matches)
    res.entities = Score(tp, len(pred_entities), len(g_ents))
    g_evs = gold.get("events", [])
    tp, missed, spurious = match_count(g_evs, pred_events, lambda g, p: event_matches(g, p, "exact", quad_of))
    res.events_exact = Score(tp, len(pred_events), len(g_evs))
    res.missed_events, res.spurious_events = missed, spurious
    tp, _, _ = match_count(g_evs, pred_events, lambda g, p: event_matches(g, p, "quad", quad_of))
    res.events_quad = Score(tp, len(pred_events), len(g_evs))
    return res


def _find_article(con, gold: dict) -> str | None:
    if gold.get("record_id"):
        row = con.execute("SELECT coalesce(duplicate_of, article_id) FROM articles WHERE record_id = ? "
                          "ORDER BY duplicate_of NULLS FIRST LIMIT 1", [gold["record_id"]]).fetchone()
        if row:
            return row[0]
    if gold.get("source"):
        name = gold["source"]
        row = con.execute("SELECT coalesce(duplicate_of, article_id) FROM articles WHERE source_path = ? "
                          "OR source_path LIKE ? OR source_path LIKE ? ORDER BY duplicate_of NULLS FIRST LIMIT 1",
                          [name, f"%/{name}", f"%/{name}#%"]).fetchone()
        if row:
            return row[0]
    return None


def predicted_entities(con, article_id: str) -> list[dict]:
    # what the article names: its linked mentions, and the agency its dateline credits (articles.source_entity_id,
    # absent from warehouses written before it existed)
    credited = "UNION SELECT source_entity_id FROM articles WHERE article_id = ?" if con.execute(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'articles' "
        "AND column_name = 'source_entity_id'").fetchone()[0] else ""
    rows = con.execute(
        "SELECT DISTINCT e.entity_id, e.canonical_name, e.wikidata_id, e.entity_type, e.aliases "
        f"FROM (SELECT entity_id FROM mentions WHERE article_id = ? {credited}) m "
        "JOIN entities e USING (entity_id) WHERE e.entity_type IN "
        f"({', '.join('?' for _ in EVAL_ENTITY_TYPES)})",
        [article_id, *([article_id] if credited else []), *EVAL_ENTITY_TYPES]).fetchall()
    return [dict(zip(("entity_id", "canonical_name", "wikidata_id", "entity_type", "aliases"), r)) for r in rows]


def predicted_events(con, article_id: str) -> list[dict]:
    rows = con.execute(
        "SELECT DISTINCT ev.actor1_code, a1.canonical_name, ev.actor2_code, a2.canonical_name, ev.event_code, "
        "ev.quad_class FROM events ev LEFT JOIN entities a1 ON a1.entity_id = ev.actor1_entity_id "
        "LEFT JOIN entities a2 ON a2.entity_id = ev.actor2_entity_id "
        "WHERE ev.article_id = ? AND NOT coalesce(ev.is_negated, false) "
        f"AND coalesce(ev.modality, 'asserted') IN ({', '.join('?' for _ in COUNTED_MODALITIES)})",
        [article_id, *COUNTED_MODALITIES]).fetchall()
    keys = ("actor1_code", "actor1_name", "actor2_code", "actor2_name", "event_code", "quad_class")
    # one prediction per (actor1, actor2, code) as the gold states it: an actor is its code, else its name, so the
    # same triple reached through two entities (Putin / Russia's president, both RUSGOV) is not counted twice
    seen: dict[tuple, dict] = {}
    for r in rows:
        row = dict(zip(keys, r))
        key = (row["actor1_code"] or _fold(row["actor1_name"]), row["actor2_code"] or _fold(row["actor2_name"]),
               row["event_code"])
        seen.setdefault(key, row)
    return list(seen.values())


def evaluate(gold_path: Path, warehouse: Path) -> tuple[list[ArticleResult], dict[str, Score]]:
    """Score every gold article against the warehouse; returns per-article results and micro totals."""
    from tasks.cameo import load_cameo, lookup
    from warehouse import connect_readonly

    cameo = load_cameo()
    quad_of = lambda code: lookup(code, cameo).quad_class  # noqa: E731
    gold = load_gold(gold_path)
    con = connect_readonly(warehouse)
    try:
        results = []
        for art in gold:
            key = art.get("record_id") or art["source"]
            aid = _find_article(con, art)
            ents = predicted_entities(con, aid) if aid else []
            evs = predicted_events(con, aid) if aid else []
            results.append(score_article(key, aid, art, ents, evs, quad_of))
    finally:
        con.close()
    totals = {"entities": Score(), "events_exact": Score(), "events_quad": Score()}
    for r in results:
        totals["entities"].add(r.entities)
        totals["events_exact"].add(r.events_exact)
        totals["events_quad"].add(r.events_quad)
    return results, totals


def register(app: typer.Typer) -> None:
    """Add this module's commands to the main app."""

    @app.command("eval")
    def eval_cmd(
        gold: Path = typer.Argument(..., exists=True, dir_okay=False, help="Gold JSON file (see eval/README.md)."),
        warehouse: Path = WAREHOUSE_OPT,
        as_json: bool = typer.Option(False, "--json", help="Print the scores as JSON."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="List missed and spurious events."),
    ) -> None:
        """Precision and recall of entities and events (exact CAMEO code and QuadClass) against a gold file."""
        from rich.console import Console
        from rich.table import Table

        from warehouse import WarehouseNotFound

        try:
            results, totals = evaluate(gold, warehouse)
        except (WarehouseNotFound, GoldFormatError) as exc:
            typer.echo(f"error: {exc}", err=True)
            raise typer.Exit(2)
        if as_json:
            typer.echo(json.dumps({
                "gold": str(gold), "warehouse": str(warehouse),
                "totals": {k: v.as_dict() for k, v in totals.items()},
                "articles": [{"article": r.key, "article_id": r.article_id, "entities": r.entities.as_dict(),
                              "events_exact": r.events_exact.as_dict(), "events_quad": r.events_quad.as_dict()}
                             for r in results]}, ensure_ascii=False, indent=2))
            return
        console = Console()
        table = Table(title=f"khabar eval {gold.name} vs {warehouse}")
        for col in ("article", "entities P/R", "events exact P/R", "events quad P/R"):
            table.add_column(col)
        fmt = lambda s: f"{s.precision:.2f}/{s.recall:.2f} ({s.tp}/{s.n_pred}/{s.n_gold})"  # noqa: E731
        for r in results:
            table.add_row(r.key + ("" if r.article_id else " [missing]"), fmt(r.entities), fmt(r.events_exact),
                          fmt(r.events_quad))
        table.add_row("ALL (micro)", fmt(totals["entities"]), fmt(totals["events_exact"]), fmt(totals["events_quad"]))
        console.print(table)
        console.print("cells: precision/recall (matched/predicted/gold)")
        if verbose:
            for r in results:
                for g in r.missed_events:
                    console.print(f"[red]missed[/red] {r.key}: {g['actor1']} -> {g['actor2']} {g['code']}  {g.get('note', '')}")
                for p in r.spurious_events:
                    console.print(f"[yellow]spurious[/yellow] {r.key}: {p['actor1_code'] or p['actor1_name']} -> "
                                  f"{p['actor2_code'] or p['actor2_name']} {p['event_code']}")
