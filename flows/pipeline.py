"""The khabar ETL flow: raw files -> ingest -> clean -> dedup -> nlp -> link -> events -> load.

Each stage is a coarse Prefect task over the whole batch (the NLP stage fans out in chunks, see flows/nlp.py).
Stages write their rows to the run's staging folder as Parquet; the single `load` task moves everything into
DuckDB in one transaction. The tasks are thin: the work is done by plain functions in tasks/.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections import Counter
from dataclasses import asdict, dataclass, field
from functools import partial
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run
from prefect.utilities.annotations import quote  # rows pass as-is: Prefect would visit every dict (seconds)

from flows import ops, progress
from flows.report import publish_report_link, publish_run_artifacts
from khabar import __version__
from khabar.config import STAGES, Settings
from tasks import clean, dedup, ingest, load
from tasks.ids import file_identity, sha256_text, stable_id
from warehouse import quarantine_dir, read_earlier


@dataclass
class RunSummary:
    run_id: str
    warehouse: str
    inputs: list[str]
    until: str
    counts: dict[str, int] = field(default_factory=dict)
    quarantined: list[dict] = field(default_factory=list)
    stage_seconds: dict[str, float] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _now() -> datetime:
    return datetime.now(timezone.utc)


# ---------------------------------------------------------------- plain helpers (tested directly)

def quarantine_rows(rejections: list[ingest.Rejection], *, warehouse: Path, run_id: str, stage: str) -> list[dict]:
    """Quarantine rows for rejected inputs; the offending bytes are kept under warehouse/quarantine/."""
    rows = []
    for rej in rejections:
        digest = hashlib.sha256(rej.data).hexdigest() if rej.data is not None else ""
        stored = None
        if rej.data is not None:
            name = Path(rej.source_path.split("#", 1)[0]).name
            target = quarantine_dir(warehouse) / f"{digest[:16]}-{name}"
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                tmp = target.with_name(f".{target.name}.tmp")
                tmp.write_bytes(rej.data)
                tmp.replace(target)
            stored = str(target)
        rows.append({
            "quarantine_id": stable_id("q", rej.source_path, stage, rej.reason, digest),
            "source_path": rej.source_path, "stage": stage, "reason": rej.reason, "detail": rej.detail,
            "stored_path": stored, "run_id": run_id, "quarantined_at": _now(),
        })
    return rows


def source_file_rows(inputs: list[str], *, run_id: str) -> list[dict]:
    """One row per input file with its content hash, size and mtime (the inbox uses them to skip files already
    processed without reading them again).

    What must not be read (a FIFO, a device, a symlink loop, an unreadable file; ingest quarantines it) is
    recorded by its directory entry instead (tasks.ids.file_identity), so the inbox does not try it again.
    """
    rows = []
    for path in ingest.discover_files(inputs):
        if (identity := file_identity(path)) is None:
            continue
        digest, size, mtime_ns = identity
        rows.append({"file_hash": digest, "source_path": str(path), "size_bytes": size,
                     "mtime_ns": mtime_ns, "run_id": run_id, "seen_at": _now()})
    return rows


def article_id_of(doc: ingest.RawDocument) -> str:
    """An article's id: its source key and raw content (the same file read again is the same article)."""
    return stable_id("a", doc.source_path, sha256_text(doc.raw_text))


def article_rows(docs: list[ingest.RawDocument], *, run_id: str, existing: dict[str, dict],
                 default_language: str | None = None) -> list[dict]:
    """Clean each document into an `articles` row. Ids come from the source key and the raw content.

    Language: the record's, else the configured default, else detected from the text as written (before
    cleaning, which folds Arabic letters into Urdu's for Urdu text only: folded Persian reads as Urdu).
    """
    from tasks.nlp import detect_language

    rows = []
    now = _now()
    for doc in docs:
        article_id = article_id_of(doc)
        body = doc.main_text if doc.main_text is not None else doc.raw_text
        language = doc.language or default_language or detect_language(body)
        cleaned = clean.clean_document(body, language=language, title=doc.title)
        first = existing.get(article_id, {})
        rows.append({
            "article_id": article_id,
            "source_path": doc.source_path,
            "source_url": doc.url or cleaned.source_url,
            "title": cleaned.title,
            "text": cleaned.text,
            "raw_text": doc.raw_text,
            "language": language,
            "published_at": doc.published_at,
            "dateline": cleaned.dateline,
            "content_hash": dedup.content_hash(cleaned.text),
            "run_id": first.get("run_id") or run_id,
            "ingested_at": first.get("ingested_at") or now,
            "record_id": doc.record_id,
            "source_name": doc.source_name,
            "encoding": doc.encoding,
            "removed_lines": cleaned.removed_lines,
            "nlp_status": "pending",
        })
    return rows


def dedup_rows(articles: list[dict], settings: Settings) -> tuple[list[dict], list[dict]]:
    """Mark duplicates in place; return signature rows and LSH band rows of the canonical articles.

    Earlier runs' signatures are read only where they can matter to this batch (tasks.dedup.earlier_signatures).
    """
    config = dedup.DedupConfig(threshold=settings.dedup_threshold, num_perm=settings.dedup_num_perm,
                               shingle_size=settings.dedup_shingle_size)
    batch = [(a["article_id"], a["text"]) for a in articles]
    sketch = dedup.sketch_batch(batch, config)
    stored, backfill = dedup.earlier_signatures(sketch, config, partial(read_earlier, settings.warehouse))
    decisions = dedup.deduplicate(batch, stored, config, sketch=sketch)
    by_id = {d.article_id: d for d in decisions}
    signatures = []
    for art in articles:
        decision = by_id[art["article_id"]]
        art["duplicate_of"] = decision.duplicate_of
        art["duplicate_score"] = decision.score
        if decision.duplicate_of:
            art["nlp_status"] = "duplicate"
        if decision.signature:
            signatures.append(decision.signature)
    return signatures, backfill + dedup.band_rows(signatures, config)


def _by_article(rows: list[dict]) -> dict[str, list[dict]]:
    grouped: dict[str, list[dict]] = {}
    for row in rows:
        grouped.setdefault(row["article_id"], []).append(row)
    return grouped


# ---------------------------------------------------------------- Prefect tasks (thin)

@task(name="ingest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=ops.retry_transient)
def ingest_task(inputs: list[str], settings: Settings,
                run_id: str) -> tuple[list[ingest.RawDocument], list[dict], list[dict]]:
    docs, rejections = ingest.ingest_paths(inputs, max_bytes=settings.max_file_bytes)
    quarantined = quarantine_rows(rejections, warehouse=settings.warehouse, run_id=run_id, stage="ingest")
    files = source_file_rows(inputs, run_id=run_id)
    get_run_logger().info("ingest: %d files, %d documents, %d quarantined", len(files), len(docs), len(quarantined))
    return docs, quarantined, files


@task(name="clean", cache_policy=NO_CACHE)
def clean_task(docs: list[ingest.RawDocument], settings: Settings, run_id: str) -> list[dict]:
    existing = read_earlier(settings.warehouse, "articles", columns=["article_id", "run_id", "ingested_at"],
                            where={"article_id": [article_id_of(d) for d in docs]})  # re-read articles only
    first_seen = {r["article_id"]: r for r in existing.to_pylist()}
    rows = article_rows(docs, run_id=run_id, existing=first_seen, default_language=settings.default_language)
    removed = sum(len(r["removed_lines"]) for r in rows)
    get_run_logger().info("clean: %d articles, %d furniture lines removed", len(rows), removed)
    return rows


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(articles: list[dict], settings: Settings) -> tuple[list[dict], list[dict]]:
    signatures, bands = dedup_rows(articles, settings)
    dups = sum(1 for a in articles if a["duplicate_of"])
    get_run_logger().info("dedup: %d canonical, %d duplicates", len(articles) - dups, dups)
    return signatures, bands


@task(name="link", cache_policy=NO_CACHE)
def link_task(articles: list[dict], nlp_rows: dict[str, list[dict]]) -> tuple[list[dict], list[dict]]:
    from tasks import link

    dictionary = link.load_dictionary()
    sentences, tokens, ner = (_by_article(nlp_rows[k]) for k in ("sentences", "tokens", "mentions"))
    mentions: list[dict] = []
    entities: dict[str, dict] = {row["entity_id"]: row for row in link.dictionary_entity_rows(dictionary)}
    for art in articles:
        aid = art["article_id"]
        if aid not in sentences:
            continue
        out = link.link_article(art, sentences[aid], tokens.get(aid, []), ner.get(aid, []), dictionary)
        mentions.extend(out.mentions)
        for row in out.entities:
            entities.setdefault(row["entity_id"], row)
    linked = sum(1 for m in mentions if m.get("entity_id"))
    get_run_logger().info("link: %d mentions (%d linked), %d entities", len(mentions), linked, len(entities))
    return mentions, list(entities.values())


@task(name="dateline-sources", cache_policy=NO_CACHE)
def dateline_sources_task(articles: list[dict]) -> dict[str, str]:
    """article_id -> the organisation its dateline credits (news agency), for articles.source_entity_id."""
    from tasks import link

    dictionary = link.load_dictionary()
    found = {a["article_id"]: link.dateline_source(a, dictionary) for a in articles}
    return {aid: eid for aid, eid in found.items() if eid}


@task(name="events", cache_policy=NO_CACHE)
def events_task(articles: list[dict], nlp_rows: dict[str, list[dict]], mentions: list[dict],
                entities: list[dict]) -> tuple[list[dict], list[dict]]:
    from tasks import events, relations

    sentences, tokens = _by_article(nlp_rows["sentences"]), _by_article(nlp_rows["tokens"])
    by_article_mentions = _by_article(mentions)
    entity_map = {e["entity_id"]: e for e in entities}
    event_rows: list[dict] = []
    relation_rows: list[dict] = []
    for art in articles:
        aid = art["article_id"]
        if aid not in sentences:
            continue
        args = (art, sentences[aid], tokens.get(aid, []), by_article_mentions.get(aid, []), entity_map)
        event_rows.extend(events.extract_events(*args))
        relation_rows.extend(relations.extract_relations(*args))
    quads = Counter(e["quad_class"] for e in event_rows)
    get_run_logger().info("events: %d events %s, %d relations", len(event_rows), dict(sorted(quads.items())),
                          len(relation_rows))
    return event_rows, relation_rows


@task(name="stage-tables", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=ops.retry_transient)
def stage_task(settings: Settings, run_id: str, tables: dict[str, list[dict]],
               scopes: dict[str, list[str]]) -> dict[str, int]:
    for name, rows in tables.items():
        load.stage(settings.warehouse, run_id, name, rows, scope_article_ids=scopes.get(name))
    staged = {name: len(rows) for name, rows in tables.items()}
    get_run_logger().info("stage-tables: staged %s", staged)
    return staged


@task(name="load", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[2, 10],
      retry_condition_fn=ops.retry_transient)
def load_task(settings: Settings, run_id: str) -> dict[str, dict[str, int]]:
    result = load.load_run(settings.warehouse, run_id)
    get_run_logger().info("load: inserted %s; totals %s", result.inserted, result.totals)
    return {"inserted": result.inserted, "totals": result.totals}


# ---------------------------------------------------------------- the flow

def _stage_index(name: str) -> int:
    if name not in STAGES:
        raise ValueError(f"unknown stage {name!r}; choose one of {', '.join(STAGES)}")
    return STAGES.index(name)


@flow(name="khabar-etl", log_prints=True, **ops.FAILURE_HOOKS)
def etl(inputs: list[str], settings: Settings | None = None, until: str = "load") -> dict[str, Any]:
    """Run the pipeline over `inputs` (files or directories) into the warehouse named in `settings`.

    Settings not given explicitly come from KHABAR_* variables, then defaults (Settings.from_env).
    """
    given = settings.explicit() if isinstance(settings, Settings) else dict(settings or {})
    cfg = Settings.from_env(**given)
    ops.attach_project_loggers()
    with ops.flow_time_limit(cfg.flow_timeout_seconds):
        return run_stages(inputs, cfg, until)


def run_stages(inputs: list[str], cfg: Settings, until: str) -> dict[str, Any]:
    """The body of the `etl` flow (inside its run and time limit): each stage, then one load."""
    last = _stage_index(until)
    limit = ops.stage_limit(cfg)  # each stage task ends TimedOut after cfg.stage_timeout_seconds
    run_id = stable_id("r", uuid.uuid4().hex, time.time())
    summary = RunSummary(run_id=run_id, warehouse=str(cfg.warehouse), inputs=[str(i) for i in inputs], until=until)
    started = _now()
    cfg.warehouse.mkdir(parents=True, exist_ok=True)
    load.init_warehouse(cfg.warehouse)
    for stale in cleanup_stale_staging(cfg.warehouse):
        get_run_logger().info("removed staging of a run that never loaded: %s", stale.name)

    tables: dict[str, list[dict]] = {}
    scopes: dict[str, list[str]] = {}
    model_versions: dict[str, str] = {}
    clock = time.perf_counter()

    def lap(stage: str, **info: int) -> None:
        nonlocal clock
        summary.stage_seconds[stage] = round(time.perf_counter() - clock, 3)
        clock = time.perf_counter()
        progress.report(stage, {"seconds": summary.stage_seconds[stage], **info})

    docs, quarantined, tables["source_files"] = limit(ingest_task)(inputs, cfg, run_id)
    tables["quarantine"] = quarantined
    lap("ingest", documents=len(docs), quarantined=len(quarantined))
    articles: list[dict] = []
    if last >= _stage_index("clean"):
        articles = limit(clean_task)(quote(docs), cfg, run_id)
        lap("clean", articles=len(articles))
    if last >= _stage_index("dedup"):
        tables["signatures"], tables["signature_bands"] = limit(dedup_task)(quote(articles), cfg)
        lap("dedup", duplicates=sum(1 for a in articles if a.get("duplicate_of")))
    canonical = [a for a in articles if not a.get("duplicate_of")]
    if last >= _stage_index("link"):
        credited = limit(dateline_sources_task)(quote(articles))
        for art in articles:
            art["source_entity_id"] = credited.get(art["article_id"])
    if last >= _stage_index("nlp") and canonical:
        from flows.nlp import run_nlp

        nlp = run_nlp(canonical, cfg, run_id)
        model_versions = nlp.model_versions
        for art in articles:
            if art["article_id"] in nlp.statuses:
                art["nlp_status"], art["nlp_reason"] = nlp.statuses[art["article_id"]]
        parsed = list(nlp.parsed_ids)
        for name, rows in nlp.stage_rows.items():
            tables[name] = tables.get(name, []) + rows if name == "quarantine" else rows
        scopes.update({"sentences": parsed, "tokens": parsed, "mentions": parsed})
        lap("nlp", parsed=len(parsed), cached=len(nlp.cached_ids), failures=len(nlp.failures))
        nlp_rows = {"sentences": nlp.sentences, "tokens": nlp.tokens, "mentions": nlp.mentions}
        with_parse_ids = {r["article_id"] for r in nlp.sentences}
        with_parse = [a for a in canonical if a["article_id"] in with_parse_ids]
        processed = [a["article_id"] for a in with_parse]
        if last >= _stage_index("link"):
            mentions, entities = limit(link_task)(quote(with_parse), quote(nlp_rows))
            tables["mentions"], tables["entities"] = mentions, entities
            scopes["mentions"] = processed
            lap("link", mentions=len(mentions), entities=len(entities))
            if last >= _stage_index("events"):
                event_rows, relation_rows = limit(events_task)(quote(with_parse), quote(nlp_rows),
                                                               quote(mentions), quote(entities))
                tables["events"], tables["relations"] = event_rows, relation_rows
                scopes["events"] = scopes["relations"] = processed
                lap("events", events=len(event_rows), relations=len(relation_rows))
    tables["articles"] = articles

    summary.counts = {
        "documents": len(docs), "articles": len(articles), "duplicates": len(articles) - len(canonical),
        "quarantined": len(tables["quarantine"]),
        **{name: len(rows) for name, rows in tables.items() if name not in ("articles", "quarantine", "source_files")},
    }
    if skipped := sum(a.get("nlp_status") == "skipped_language" for a in articles):
        summary.counts["skipped_language"] = skipped  # kept and labelled, not parsed: no models for the language
    if "entities" in tables:  # the table carries the whole dictionary; what the run found is what it mentioned
        summary.counts["entities"] = len({m["entity_id"] for m in tables.get("mentions", []) if m.get("entity_id")})
    summary.quarantined = [{k: q[k] for k in ("source_path", "stage", "reason", "detail")} for q in tables["quarantine"]]
    tables["runs"] = [{
        "run_id": run_id, "flow_run_id": str(flow_run.get_id() or ""), "started_at": started,
        "finished_at": _now(), "inputs": summary.inputs,
        "counts": json.dumps({**summary.counts, "stage_seconds": dict(summary.stage_seconds)}, sort_keys=True),
        "code_version": __version__, "model_versions": json.dumps(model_versions, sort_keys=True),
        "until_stage": until,
    }]
    limit(stage_task)(cfg, run_id, quote(tables), scopes)
    result = limit(load_task)(cfg, run_id)
    lap("load", **result["inserted"])
    summary.totals = result["totals"]
    publish_run_artifacts(summary.to_dict(), tables)
    publish_report_link(cfg.warehouse, run_id)
    return summary.to_dict()


def cleanup_stale_staging(warehouse: Path, max_age_seconds: float = 24 * 3600) -> list[Path]:
    """Staging left by runs that crashed before loading; a re-run recomputes it, so it is safe to drop."""
    root = Path(warehouse) / "staging"
    removed = []
    if root.is_dir():  # a staging path that is not a folder is left for the stage task to fail on, visibly
        for path in root.iterdir():
            if time.time() - path.stat().st_mtime > max_age_seconds:
                shutil.rmtree(path, ignore_errors=True)
                removed.append(path)
    return removed
