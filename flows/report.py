"""Run artifacts for the Prefect UI: what came in, what was dropped and why, what was extracted, time per stage.

`build_report(summary, tables)` is a plain function (tested directly); `publish_run_artifacts` only hands its
sections to Prefect. `tables` maps a table name to the row dicts staged by this run, or to compact rows standing
for `n` rows each (mentions, events: flows.pipeline.RunTally, so a run of many batches keeps no rows); the
summary's counts, when present, give the totals.
"""
from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

QUAD_CLASSES = {1: "verbal cooperation", 2: "material cooperation", 3: "verbal conflict", 4: "material conflict"}
TOP_ACTORS = 10
MAX_ROWS = 200  # artifact tables stay readable in the UI

ARTIFACT_KEYS = ("khabar-run-summary", "khabar-run-counts", "khabar-stage-times", "khabar-quarantine",
                 "khabar-events-by-quadclass", "khabar-top-actors")


def _md_cell(value: Any) -> str:
    return str("" if value is None else value).replace("|", "\\|").replace("\n", " ")


def _md_table(rows: list[dict], columns: list[str]) -> list[str]:
    if not rows:
        return ["(none)"]
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    out += ["| " + " | ".join(_md_cell(r.get(c)) for c in columns) + " |" for r in rows]
    return out


def top_actors(tables: dict[str, list[dict]], limit: int = TOP_ACTORS) -> list[dict]:
    """Entities most often in events as actor 1 or 2; with no events, most often mentioned (linked mentions)."""
    names = {e["entity_id"]: e for e in tables.get("entities", [])}
    counted: Counter[str] = Counter()
    basis = "events"
    for ev in tables.get("events", []):
        for key in ("actor1_entity_id", "actor2_entity_id"):
            if ev.get(key):
                counted[ev[key]] += ev.get("n", 1)
    if not counted:
        basis = "mentions"
        for m in tables.get("mentions", []):
            if m.get("entity_id"):
                counted[m["entity_id"]] += m.get("n", 1)
    rows = []
    for entity_id, n in sorted(counted.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]:
        ent = names.get(entity_id, {})
        rows.append({"entity_id": entity_id, "name": ent.get("canonical_name") or entity_id,
                     "type": ent.get("entity_type"), "actor_code": ent.get("actor_code"), basis: n})
    return rows


def events_by_quadclass(tables: dict[str, list[dict]]) -> list[dict]:
    counts: Counter = Counter()
    for e in tables.get("events", []):
        counts[e.get("quad_class")] += e.get("n", 1)
    rows = [{"quad_class": q, "meaning": name, "events": counts.get(q, 0)} for q, name in QUAD_CLASSES.items()]
    other = sum(n for q, n in counts.items() if q not in QUAD_CLASSES)
    if other:
        rows.append({"quad_class": None, "meaning": "unclassified", "events": other})
    return rows


def build_report(summary: dict, tables: dict[str, list[dict]]) -> dict[str, Any]:
    """Every section of the run report as plain rows, plus the whole report as Markdown."""
    counts = summary.get("counts", {})
    articles = tables.get("articles", [])
    mentions = tables.get("mentions", [])
    duplicates = [{"article_id": a["article_id"], "source_path": a["source_path"],
                   "duplicate_of": a.get("duplicate_of"), "score": a.get("duplicate_score")}
                  for a in articles if a.get("duplicate_of")]
    quarantined = [{"source_path": q["source_path"], "stage": q["stage"], "reason": q["reason"],
                    "detail": q.get("detail")} for q in tables.get("quarantine", [])]
    reasons = Counter(q["reason"] for q in quarantined)
    stage_times = [{"stage": s, "seconds": round(float(v), 3)} for s, v in summary.get("stage_seconds", {}).items()]
    events = tables.get("events", [])
    overview = [
        {"what": "files read", "count": counts.get("files", len(tables.get("source_files", [])))},
        {"what": "documents in", "count": counts.get("documents", len(articles))},
        {"what": "articles", "count": counts.get("articles", len(articles))},
        {"what": "duplicates", "count": counts.get("duplicates", len(duplicates))},
        {"what": "quarantined", "count": counts.get("quarantined", len(quarantined))},
        {"what": "mentions", "count": counts.get("mentions", sum(m.get("n", 1) for m in mentions))},
        {"what": "mentions linked", "count": sum(m.get("n", 1) for m in mentions if m.get("entity_id"))},
        {"what": "entities", "count": len(tables.get("entities", []))},
        {"what": "events", "count": counts.get("events", sum(e.get("n", 1) for e in events))},
        {"what": "relations", "count": counts.get("relations", len(tables.get("relations", [])))},
    ]
    n_duplicates = counts.get("duplicates", len(duplicates))
    quads = events_by_quadclass(tables)
    actors = top_actors(tables)
    actor_cols = ["name", "entity_id", "type", "actor_code", "events" if actors and "events" in actors[0] else "mentions"]
    total = round(sum(r["seconds"] for r in stage_times), 3)

    md = [f"# khabar run `{summary.get('run_id')}`", "",
          f"- warehouse: `{summary.get('warehouse')}`",
          f"- stopped after: `{summary.get('until', 'load')}`",
          f"- inputs: {len(summary.get('inputs', []))} path(s)", ""]
    md += ["## In and out", ""] + _md_table(overview, ["what", "count"]) + [""]
    md += [f"## Duplicates ({n_duplicates})", ""] + _md_table(duplicates[:MAX_ROWS],
                                                                 ["source_path", "duplicate_of", "score"]) + [""]
    md += [f"## Quarantined ({len(quarantined)})", ""]
    if reasons:
        md += ["by reason: " + ", ".join(f"`{r}` {n}" for r, n in sorted(reasons.items())), ""]
    md += _md_table(quarantined[:MAX_ROWS], ["source_path", "stage", "reason", "detail"]) + [""]
    md += ["## Events by QuadClass", ""] + _md_table(quads, ["quad_class", "meaning", "events"]) + [""]
    md += ["## Top actors", ""] + _md_table(actors, actor_cols) + [""]
    md += [f"## Time per stage (total {total} s)", ""] + _md_table(stage_times, ["stage", "seconds"]) + [""]
    return {"overview": overview, "duplicates": duplicates, "quarantined": quarantined,
            "quarantine_reasons": dict(reasons), "events_by_quadclass": quads, "top_actors": actors,
            "stage_times": stage_times, "markdown": "\n".join(md)}


def publish_run_artifacts(summary: dict, tables: dict[str, list[dict]]) -> dict[str, Any]:
    """Create the run's artifacts (shown on the flow run's Artifacts tab) and return the report."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    report = build_report(summary, tables)
    run = summary.get("run_id")
    create_markdown_artifact(key="khabar-run-summary", markdown=report["markdown"],
                             description=f"khabar run {run}: report")
    create_table_artifact(key="khabar-run-counts", table=[{"what": k, "count": v} for k, v in
                                                          summary.get("counts", {}).items()],
                          description=f"khabar run {run}: counts per stage")
    create_table_artifact(key="khabar-stage-times", table=report["stage_times"],
                          description=f"khabar run {run}: seconds per stage")
    create_table_artifact(key="khabar-quarantine", table=report["quarantined"][:MAX_ROWS] or
                          [{"source_path": "", "stage": "", "reason": "(nothing quarantined)", "detail": ""}],
                          description=f"khabar run {run}: quarantined inputs with reasons")
    create_table_artifact(key="khabar-events-by-quadclass", table=report["events_by_quadclass"],
                          description=f"khabar run {run}: events per CAMEO QuadClass")
    create_table_artifact(key="khabar-top-actors", table=report["top_actors"] or [{"name": "(no linked actors)"}],
                          description=f"khabar run {run}: most frequent actors")
    return report


def publish_report_link(warehouse: Path, run_id: str) -> Path | None:
    """Refresh WAREHOUSE/report.html and link it from the run's artifacts, with the timeline as an image.

    A report that cannot be drawn never fails the run: it is logged and the run's data stands."""
    import base64

    from prefect import get_run_logger
    from prefect.artifacts import create_image_artifact, create_link_artifact

    from warehouse.report import write_report_file

    try:
        path, png = write_report_file(warehouse)
    except Exception as exc:  # noqa: BLE001 - the run is loaded; the picture is a bonus
        get_run_logger().warning("report not written: %s: %s", type(exc).__name__, exc)
        return None
    create_link_artifact(key="khabar-report", link=path.resolve().as_uri(), link_text=str(path),
                         description=f"khabar run {run_id}: the warehouse's report (open the file in a browser)")
    if png:
        create_image_artifact(key="khabar-timeline", image_url="data:image/png;base64," + base64.b64encode(png).decode(),
                              description=f"khabar run {run_id}: events per period by QuadClass")
    return path
