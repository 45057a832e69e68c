"""The khabar ETL flow: raw files -> ingest -> clean -> dedup -> nlp -> link -> events -> load.

The inputs are read as a stream (tasks.ingest.iter_ingest) and cut into batches of settings.batch_size documents;
each batch goes through the stages, each stage a coarse Prefect task over the batch (the NLP stage fans out in
chunks, see flows/nlp.py), writes its rows to the run's staging folder as Parquet, and one `load` task moves them
into DuckDB in one transaction. So memory follows the batch, a crash loses at most the batch in flight, and a
re-run redoes it (ids are stable, loads idempotent; a file is recorded in `source_files` with the batch holding its
last record). Later batches see earlier ones as earlier runs: dedup finds a copy of an article loaded by a batch
before. The tasks are thin: the work is done by plain functions in tasks/.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import threading
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
from flows.clean import run_clean
from flows.report import publish_report_link, publish_run_artifacts
from khabar import __version__
from khabar.config import STAGES, Settings
from tasks import dedup, ingest, load
from tasks.ids import file_identity, stable_id
from warehouse import read_earlier, store_quarantined
from warehouse.report import warm_up


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
            stored = str(store_quarantined(warehouse, digest, name, rej.data))
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
    return file_rows(ingest.discover_files(inputs), run_id=run_id)


def file_rows(paths: list[Path], *, run_id: str) -> list[dict]:
    """`source_files` rows of ``paths`` (see source_file_rows); files of an unsupported type are not recorded."""
    rows = []
    for path in (p for p in paths if p.suffix.lower() in ingest.SUPPORTED_SUFFIXES):
        if (identity := file_identity(path)) is None:
            continue
        digest, size, mtime_ns = identity
        rows.append({"file_hash": digest, "source_path": str(path), "size_bytes": size,
                     "mtime_ns": mtime_ns, "run_id": run_id, "seen_at": _now()})
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


def set_dateline_sources(articles: list[dict], credited: dict[str, str]) -> None:
    for art in articles:
        art["source_entity_id"] = credited.get(art["article_id"])


def apply_nlp(nlp: Any, articles: list[dict], canonical: list[dict], tables: dict[str, list[dict]],
              scopes: dict[str, list[str]]) -> list[dict]:
    """Record an NLP result (flows.nlp.NlpResult) on the batch: each article's status, the rows to stage and
    the articles they replace. Returns the articles that have a parse (fresh or cached)."""
    for art in articles:
        if art["article_id"] in nlp.statuses:
            art["nlp_status"], art["nlp_reason"] = nlp.statuses[art["article_id"]]
    for name, rows in nlp.stage_rows.items():
        tables[name] = tables.get(name, []) + rows if name == "quarantine" else rows
    parsed = list(nlp.parsed_ids)
    scopes.update({"sentences": parsed, "tokens": parsed, "mentions": parsed})
    with_parse_ids = {r["article_id"] for r in nlp.sentences}
    return [a for a in canonical if a["article_id"] in with_parse_ids]


# ---------------------------------------------------------------- a run's state across batches

REPORT_ROWS = 200  # duplicates kept for the run report (flows.report.MAX_ROWS lists as many)


@dataclass
class RunTally:
    """What the run's summary, `runs` row and report need, added up batch by batch: counts, the quarantined
    inputs, and per-entity and per-QuadClass counts; never the batches' rows (memory follows the batch)."""

    counts: Counter = field(default_factory=Counter)
    quarantined: list[dict] = field(default_factory=list)
    duplicates: list[dict] = field(default_factory=list)  # the first REPORT_ROWS
    mentioned: Counter = field(default_factory=Counter)  # entity_id -> linked mentions
    actors: Counter = field(default_factory=Counter)  # (actor1, actor2, quad_class) -> events
    entities: dict[str, dict] = field(default_factory=dict)  # entity_id -> name, type, code (for the report)
    batches: int = 0

    def add(self, batch: ingest.IngestBatch, tables: dict[str, list[dict]]) -> None:
        articles = tables.get("articles", [])
        dups = [a for a in articles if a.get("duplicate_of")]
        counts = {"documents": len(batch.docs), "articles": len(articles), "duplicates": len(dups),
                  "quarantined": len(tables["quarantine"]), "files": len(tables["source_files"]),
                  **{name: len(rows) for name, rows in tables.items()
                     if name not in ("articles", "quarantine", "source_files", "runs")}}
        if skipped := sum(a.get("nlp_status") == "skipped_language" for a in articles):
            counts["skipped_language"] = skipped  # kept and labelled, not parsed: no models for the language
        self.counts.update(counts)
        self.quarantined += [{k: q[k] for k in ("source_path", "stage", "reason", "detail")}
                             for q in tables["quarantine"]]
        self.duplicates += [{k: a.get(k) for k in ("article_id", "source_path", "duplicate_of", "duplicate_score")}
                            for a in dups[:max(0, REPORT_ROWS - len(self.duplicates))]]
        self.mentioned.update(m["entity_id"] for m in tables.get("mentions", []) if m.get("entity_id"))
        self.actors.update((e.get("actor1_entity_id"), e.get("actor2_entity_id"), e.get("quad_class"))
                           for e in tables.get("events", []))
        for row in tables.get("entities", []):  # each entity once a run (RunState.unseen_entities)
            self.entities.setdefault(row["entity_id"], {k: row.get(k) for k in ("entity_id", "canonical_name",
                                                                                "entity_type", "actor_code")})
        self.batches += 1

    def summary_counts(self) -> dict[str, int]:
        """The run's counts as one batch of all its documents would give them."""
        counts = dict(self.counts)  # "files": input files recorded in source_files (the report's "files read")
        if "entities" in counts:  # the table carries the whole dictionary; what the run found is what it mentioned
            counts["entities"] = len(self.mentioned)
        return counts

    def report_tables(self) -> dict[str, list[dict]]:
        """flows.report's input, compact: rows weighted by `n`, counts in the summary."""
        return {"articles": self.duplicates, "quarantine": self.quarantined,
                "mentions": [{"entity_id": e, "n": n} for e, n in self.mentioned.items()],
                "events": [{"actor1_entity_id": a1, "actor2_entity_id": a2, "quad_class": q, "n": n}
                           for (a1, a2, q), n in self.actors.items()],
                "entities": list(self.entities.values())}


@dataclass
class RunState:
    """One run: its id, settings, summary, tally and stage clock, shared by its batches."""

    run_id: str
    cfg: Settings
    until: str
    summary: RunSummary
    started: datetime
    limit: Any  # ops.stage_limit(cfg): each stage task ends TimedOut after cfg.stage_timeout_seconds
    tally: RunTally = field(default_factory=RunTally)
    model_versions: dict[str, str] = field(default_factory=dict)
    clock: float = field(default_factory=time.perf_counter)
    pool: Any = None  # flows.workers.LanePool: the batch in flight's worker processes (start_workers)
    report_warmed: bool = False

    @classmethod
    def start(cls, inputs: list[str], cfg: Settings, until: str) -> "RunState":
        _stage_index(until)
        run_id = stable_id("r", uuid.uuid4().hex, time.time())
        summary = RunSummary(run_id=run_id, warehouse=str(cfg.warehouse), inputs=[str(i) for i in inputs],
                             until=until)
        return cls(run_id, cfg, until, summary, _now(), ops.stage_limit(cfg))

    def reaches(self, stage: str) -> bool:
        return _stage_index(self.until) >= _stage_index(stage)

    def lap(self, stage: str, **info: Any) -> None:
        """A stage of a batch finished: its seconds add to the run's (summed over batches), listeners hear it."""
        seconds = round(time.perf_counter() - self.clock, 3)
        self.summary.stage_seconds[stage] = round(self.summary.stage_seconds.get(stage, 0.0) + seconds, 3)
        self.clock = time.perf_counter()
        progress.report(stage, {"seconds": seconds, **info})

    def start_workers(self, batch: ingest.IngestBatch) -> None:
        """Start the worker processes the per-article stages of ``batch`` will need, if it needs any, as soon as
        it is read: they import and load their models while it is cleaned and deduplicated (flows.nlp.start_pool).
        Each batch has its own (stop_workers at its end): a worker that died between two batches cannot cost the
        next one a chunk, and a crash never leaves them behind the batch."""
        if not self.reaches("link"):
            return
        from flows.nlp import start_pool  # here: a run that does not parse never imports torch/Stanza

        self.pool = start_pool(batch.docs, self.cfg)

    def warm_report(self) -> None:
        """Once a run, while its workers parse (the flow's process only waits then): the report's imports and
        first chart, in a thread (warehouse.report.warm_up), so the report after the last load starts warm."""
        if not self.report_warmed:
            self.report_warmed = True
            threading.Thread(target=warm_up, name="khabar-report-warm-up", daemon=True).start()

    def stop_workers(self) -> None:
        if self.pool is not None:
            self.pool.close()
            self.pool = None

    def unseen_entities(self, rows: list[dict]) -> list[dict]:
        """The entity rows no earlier batch of this run staged: an entity's first row in the run wins, as within
        one batch (a provisional entity's aliases are those of its first mention), and the dictionary's rows are
        staged once a run."""
        return [r for r in rows if r["entity_id"] not in self.tally.entities]

    def add(self, batch: ingest.IngestBatch, tables: dict[str, list[dict]]) -> dict[str, Any]:
        """Count a batch in; returns the run's `runs` row with the totals so far (each batch's load upserts it,
        so a run whose later batch crashed still says what it loaded)."""
        self.tally.add(batch, tables)
        self.summary.counts = self.tally.summary_counts()
        self.summary.quarantined = self.tally.quarantined
        return {
            "run_id": self.run_id, "flow_run_id": str(flow_run.get_id() or ""), "started_at": self.started,
            "finished_at": _now(), "inputs": self.summary.inputs,
            "counts": json.dumps({**self.summary.counts, "stage_seconds": {k: v for k, v in self.summary.stage_seconds
                                                                           .items() if k != "load"},
                                  "batches": self.tally.batches, "complete": batch.last}, sort_keys=True),
            "code_version": __version__, "model_versions": json.dumps(self.model_versions, sort_keys=True),
            "until_stage": self.until,
        }


# ---------------------------------------------------------------- Prefect tasks (thin)

@task(name="ingest", cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[1, 5],
      retry_condition_fn=ops.retry_transient)
def ingest_task(batch: ingest.IngestBatch, settings: Settings, run_id: str) -> tuple[list[dict], list[dict]]:
    """A batch read from the input stream: quarantine rows (bytes stored) and `source_files` rows of the files
    that ended in it (a file is recorded with the batch holding its last record: a crash before then leaves it
    unrecorded, and the next run reads it again, idempotently)."""
    quarantined = quarantine_rows(batch.rejections, warehouse=settings.warehouse, run_id=run_id, stage="ingest")
    files = file_rows(batch.files, run_id=run_id)
    get_run_logger().info("ingest: %d files, %d documents, %d quarantined", len(files), len(batch.docs),
                          len(quarantined))
    return quarantined, files


@task(name="dedup", cache_policy=NO_CACHE)
def dedup_task(articles: list[dict], settings: Settings) -> tuple[list[dict], list[dict]]:
    signatures, bands = dedup_rows(articles, settings)
    dups = sum(1 for a in articles if a["duplicate_of"])
    get_run_logger().info("dedup: %d canonical, %d duplicates", len(articles) - dups, dups)
    return signatures, bands


@task(name="dateline-sources", cache_policy=NO_CACHE)
def dateline_sources_task(articles: list[dict]) -> dict[str, str]:
    """article_id -> the organisation its dateline credits (news agency), for articles.source_entity_id."""
    from tasks import link

    dictionary = link.load_dictionary()
    found = {a["article_id"]: link.dateline_source(a, dictionary) for a in articles}
    return {aid: eid for aid, eid in found.items() if eid}


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
    """The body of the `etl` flow (inside its run and time limit): the inputs as a stream, cut into batches of
    cfg.batch_size documents, each carried through the stages and loaded on its own (run_batch)."""
    run = RunState.start(inputs, cfg, until)
    cfg.warehouse.mkdir(parents=True, exist_ok=True)
    load.init_warehouse(cfg.warehouse)
    for stale in cleanup_stale_staging(cfg.warehouse):
        get_run_logger().info("removed staging of a run that never loaded: %s", stale.name)
    for batch in ingest.batches(ingest.iter_ingest(inputs, max_bytes=cfg.max_file_bytes), cfg.batch_size):
        try:
            run_batch(batch, run)
        finally:
            run.stop_workers()
    publish_run_artifacts(run.summary.to_dict(), run.tally.report_tables())
    publish_report_link(cfg.warehouse, run.run_id)
    return run.summary.to_dict()


def run_batch(batch: ingest.IngestBatch, run: "RunState") -> None:
    """One batch through the stages up to run.until, then staged and loaded: a crash loses this batch only.

    Flat on purpose: a stage past `until`, or with nothing to work on, is skipped and passes on empty rows.
    """
    cfg, run_id, limit, lap = run.cfg, run.run_id, run.limit, run.lap
    tables: dict[str, list[dict]] = {}
    scopes: dict[str, list[str]] = {}
    run.start_workers(batch)  # first: the batch's documents are read already; the ingest task only records them
    tables["quarantine"], tables["source_files"] = limit(ingest_task)(quote(batch), cfg, run_id)
    lap("ingest", documents=len(batch.docs), quarantined=len(tables["quarantine"]))
    articles: list[dict] = []
    if run.reaches("clean"):
        articles = run_clean(batch.docs, cfg, run_id, pool=run.pool)
        lap("clean", articles=len(articles))
    if run.reaches("dedup"):
        tables["signatures"], tables["signature_bands"] = limit(dedup_task)(quote(articles), cfg)
        lap("dedup", duplicates=sum(1 for a in articles if a.get("duplicate_of")))
    canonical = [a for a in articles if not a.get("duplicate_of")]
    if run.reaches("link"):
        set_dateline_sources(articles, limit(dateline_sources_task)(quote(articles)))
    nlp = extracted = None
    if run.reaches("link") and canonical:  # parse, link, events, relations: per article, in the same worker
        run.warm_report()
        nlp, extracted = run_per_article_stage(canonical, cfg, run_id, events=run.reaches("events"), pool=run.pool)
    elif run.reaches("nlp") and canonical:
        nlp = run_nlp_stage(canonical, cfg, run_id)
    with_parse = apply_nlp(nlp, articles, canonical, tables, scopes) if nlp else []
    if nlp:
        run.model_versions.update(nlp.model_versions)
        lap("nlp", parsed=len(nlp.parsed_ids), cached=len(nlp.cached_ids), failures=len(nlp.failures))
    if extracted is not None:  # done with the parse above, in the same processes: the lap is the flow's own part
        tables["mentions"], tables["entities"] = extracted.mentions, run.unseen_entities(extracted.entities)
        scopes["mentions"] = [a["article_id"] for a in with_parse]
        lap("link", mentions=len(extracted.mentions), entities=len(extracted.entities))
    if nlp and run.reaches("events"):
        tables["events"], tables["relations"] = extracted.events, extracted.relations
        scopes["events"] = scopes["relations"] = scopes["mentions"]
        lap("events", events=len(tables["events"]), relations=len(tables["relations"]))
    tables["articles"] = articles
    tables["runs"] = [run.add(batch, tables)]  # the run's one row, upserted by each batch with the totals so far
    limit(stage_task)(cfg, run_id, quote(tables), scopes)
    result = limit(load_task)(cfg, run_id)
    lap("load", **result["inserted"], **({} if batch.only else {"batch": batch.number}), _more=not batch.last)
    run.summary.totals = result["totals"]


def run_nlp_stage(canonical: list[dict], cfg: Settings, run_id: str) -> Any:
    from flows.nlp import run_nlp  # here: torch and Stanza are imported only by runs that parse

    return run_nlp(canonical, cfg, run_id)


def run_per_article_stage(canonical: list[dict], cfg: Settings, run_id: str, *, events: bool = True,
                          pool: Any = None) -> Any:
    """NLP, then link + events + relations of each article in the worker that parsed it (flows.nlp.run_nlp_extract):
    one fan-out per batch, on the workers started for it (``pool``) when it has them. Returns (NlpResult,
    ExtractOutput)."""
    from flows.nlp import run_nlp_extract  # here: torch and Stanza are imported only by runs that parse

    nlp, out = run_nlp_extract(canonical, cfg, run_id, events=events, pool=pool)
    log_extract(out)
    return nlp, out


def log_extract(out: Any) -> None:
    quads = dict(sorted(Counter(e["quad_class"] for e in out.events).items()))
    get_run_logger().info("extract: %d mentions (%d linked), %d events %s, %d relations", len(out.mentions),
                          sum(1 for m in out.mentions if m.get("entity_id")), len(out.events), quads,
                          len(out.relations))


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
