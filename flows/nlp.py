"""NLP stage, Prefect part: decide per article, reuse the parse cache, parse the rest in parallel chunks; and
the per-article fan-out that parses and then extracts (link, events, relations) in the same worker.

``run_nlp_extract`` is what the pipeline flow calls (inside its @flow) when the run goes past NLP: one task
``nlp-extract`` per chunk of articles, each parsed and then extracted by the same process (tasks.extract.run_job),
so a worker does all of an article's per-article work and no second pool is spawned; cache hits are only
extracted, in chunks of their own on the same workers. ``run_nlp`` (``--until nlp``) parses only (task
``nlp-parse``). Both run their chunks the same ways (flows/workers.py):
- one lane (a small batch, or workers == 1): in this process (no pool; the pipeline and dictionary stay loaded
  for later calls), chunks of nlp_batch_size articles, torch threads = all cores;
- workers  > 1: ``workers`` lanes pull chunks from one queue: this process (one thread) and workers - 1
  processes of Prefect's ProcessPoolTaskRunner (spawned, cloudpickle; flows.workers.init_worker loads the
  Stanza pipeline, the dictionary, its index and the lexicons once per process), torch threads =
  max(1, cores // workers); chunks shrink towards the end (``guided_chunks``);
- settings.dask_address: prefect_dask's DaskTaskRunner on that scheduler (torch threads 1 per task:
  Dask scales by worker processes; each worker process caches its own pipeline and dictionary).
All the language work lives in tasks/nlp.py, the extraction in tasks/extract.py.
"""
from __future__ import annotations

import logging
import pickle
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import ops, progress
from flows.extract import extract_workers_for
from flows.workers import (  # noqa: F401
    LanePool, result, run_here, run_lanes, run_on_dask, shared_api, shut_down_after,
)
from khabar.config import Settings, default_workers
from tasks.extract import ExtractOutput, Job, chunks_of, extract_items, for_extract, item_weight, merge, run_job
from tasks.ids import stable_id
from tasks.nlp import (
    ModelNotFoundError,
    NlpOutput,
    _canonical_lang,
    _missing_message,
    detect_language,
    has_models,
    map_ner_label,
    model_version,
    parse_articles,
    read_resources,
    require_models_dir,
    resolve_models_dir,
)

log = logging.getLogger("khabar.nlp")
NLP_PROGRESS_KEY = "khabar-nlp-progress"  # the run's progress artifact: articles done / total

_PAYLOAD_KEYS = ("article_id", "text", "language", "content_hash")


@task(name="nlp-parse", cache_policy=NO_CACHE, persist_result=False)
def nlp_parse(articles: list[dict], models_dir: str, torch_threads: int | None = None,
              use_gpu: bool = False) -> NlpOutput:
    """Parse one chunk of articles (thin wrapper; the worker process keeps its pipeline between chunks)."""
    ops.attach_project_loggers()  # in a pool worker too: its khabar lines go to the run's logs
    return parse_articles(articles, models_dir=Path(models_dir), torch_threads=torch_threads, use_gpu=use_gpu)


@dataclass
class NlpResult:
    fresh: NlpOutput = field(default_factory=NlpOutput)  # rows of newly parsed articles: stage these
    parsed_ids: list[str] = field(default_factory=list)  # newly parsed articles
    cached_ids: list[str] = field(default_factory=list)  # articles served from the parse cache
    sentences: list[dict] = field(default_factory=list)  # fresh + cached, for link/events
    tokens: list[dict] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    statuses: dict[str, tuple[str, str | None]] = field(default_factory=dict)  # article_id -> (nlp_status, nlp_reason)
    failures: list[dict] = field(default_factory=list)  # {article_id, reason, detail}
    quarantine: list[dict] = field(default_factory=list)  # quarantine rows for failed articles
    model_versions: dict[str, str] = field(default_factory=dict)  # lang -> model version

    @property
    def stage_rows(self) -> dict[str, list[dict]]:
        return {"sentences": self.fresh.sentences, "tokens": self.fresh.tokens, "mentions": self.fresh.mentions,
                "parses": self.fresh.parses, "quarantine": self.quarantine}

    def stage(self, warehouse: Path, run_id: str, part: str = "nlp") -> None:
        """Stage the fresh rows; per-article tables replace the old rows of the newly parsed articles."""
        from tasks.load import stage

        for table, rows in self.stage_rows.items():
            scope = self.parsed_ids if table in ("sentences", "tokens", "mentions") else None
            if rows or scope:
                stage(warehouse, run_id, table, rows, part=part, scope_article_ids=scope)


# ------------------------------------------------------------------------------------------------ cache

def _read_rows(warehouse: Path, table: str, article_ids: list[str]) -> list[dict]:
    from warehouse import read_earlier  # here, not at the top: spawned workers import this module, never read

    return read_earlier(warehouse, table, where={"article_id": article_ids}).to_pylist()


def _cached_rows(warehouse: Path, hits: dict[str, tuple[dict, str]]) -> tuple[NlpOutput, set[str]]:
    """Rows of cache hits (article_id -> (article, source article_id)), re-keyed to the current article.

    A hit whose stored sentences do not match this article's text (same content hash, different text,
    e.g. diacritics) is not used: the article is parsed again. Returns the rows and the ids served.
    """
    sources = sorted({src for _, src in hits.values()})
    by_src: dict[str, dict[str, list[dict]]] = {}
    for table in ("sentences", "tokens", "mentions"):
        for row in _read_rows(warehouse, table, sources):
            by_src.setdefault(row["article_id"], {}).setdefault(table, []).append(row)
    out, served = NlpOutput(), set()
    for article_id, (article, src) in hits.items():
        rows = by_src.get(src, {})
        text = article["text"]
        sentences = sorted(rows.get("sentences", []), key=lambda r: r["sentence_index"])
        if not sentences or any(text[s["start_char"]:s["end_char"]] != s["text"] for s in sentences):
            continue
        for s in sentences:
            out.sentences.append({**s, "article_id": article_id})
        for t in sorted(rows.get("tokens", []), key=lambda r: (r["sentence_index"], r["token_index"])):
            out.tokens.append({**t, "article_id": article_id})
        for m in rows.get("mentions", []):
            if m.get("model_label") is None or m.get("found_by") not in ("ner", "ner+dictionary"):
                continue  # only the NER part belongs to the parse; linking redoes the rest
            out.mentions.append({
                **m,
                "mention_id": stable_id("m", article_id, m["start_char"], m["end_char"]),
                "article_id": article_id,
                "ner_label": map_ner_label(m["model_label"]),
                "entity_id": None, "confidence": None, "found_by": "ner", "link_method": None,
            })
        served.add(article_id)
    return out, served



class _ArticleProgress:
    """NLP progress in articles (cache hits count as done at once): the terminal bar and the run's progress
    artifact in the Prefect UI (key ``NLP_PROGRESS_KEY``), updated as each chunk comes back."""

    def __init__(self, total: int, done: int) -> None:
        self.total, self.done = total, done
        self.artifact = ops.ProgressArtifact(NLP_PROGRESS_KEY, "NLP: articles done", total, done=done)
        progress.report_items("nlp", done, total)

    def chunk_done(self, articles: int) -> None:
        self.done += articles
        self.artifact.advance(articles)
        progress.report_items("nlp", self.done, self.total)


def _text_chars(article: dict) -> int:
    """An article's share of the parse work: parse time follows text length, not article count."""
    return max(1, len(article.get("text") or ""))


def guided_chunks(items: list[dict], lanes: int, max_items: int, min_items: int = 4) -> list[list[dict]]:
    """Consecutive chunks that shrink as the work runs out, for ``lanes`` parsers pulling from one queue.

    Guided self-scheduling: each chunk takes about (text still to cut) / (2 * lanes) characters, so early
    chunks are large (fewer, fuller Stanza batches) and the last ones small (lanes finish together).
    Sizes stay between ``min_items`` and ``max_items`` articles (``max_items`` wins). Input order is kept;
    deterministic.
    """
    max_items = max(1, max_items)
    min_items = max(1, min(min_items, max_items))
    weights = [_text_chars(a) for a in items]
    remaining = sum(weights)
    chunks: list[list[dict]] = []
    i = 0
    while i < len(items):
        target = remaining / (2 * max(1, lanes))
        j, size = i, 0
        while j < len(items) and j - i < max_items and (j - i < min_items or size + weights[j] / 2 <= target):
            size += weights[j]
            j += 1
        chunks.append(items[i:j])
        remaining -= size
        i = j
    return chunks


# A spawned worker needed ~5.5 s to start (imports, model load; docs/nlp.md; ~3 s since docs/performance.md's
# start-up cuts) and takes a core from this process meanwhile: measured, 2 workers lost to 1 at 60 articles and won
# at 200. So each worker past the first needs this much text to parse (characters: ~110 COUNTER articles, ~25 s of
# one lane's work). Not re-measured since the start got shorter.
TEXT_PER_EXTRA_WORKER = 150_000


def workers_for(configured: int, text_chars: int) -> int:
    """NLP lanes for a batch of ``text_chars`` characters: the configured count, but no more than the text keeps
    busy; a handful of articles is parsed in this process, with no worker spawned."""
    return max(1, min(int(configured), 1 + text_chars // TEXT_PER_EXTRA_WORKER))


def pool_chunks_wanted(workers_ready: int, text_left: int, text_held: int) -> int:
    """How many chunks the ready pool workers should hold: one each, plus one queued each while the text not
    yet handed out (``text_left``, characters) is more than the lanes hold (``text_held``)."""
    return workers_ready * (2 if text_left > text_held else 1)



# --------------------------------------------------------------------------------------------- running


def _params(chunk: list[dict], models_dir: Path, threads: int, use_gpu: bool = False) -> dict:
    return {"articles": chunk, "models_dir": str(models_dir), "torch_threads": threads, "use_gpu": use_gpu}


def _run_chunks(todo: list[dict], settings: Settings, models_dir: Path,
                tracker: _ArticleProgress | None = None) -> list[tuple[list[dict], NlpOutput | BaseException]]:
    """Cut ``todo`` into chunks and run nlp-parse on each; a chunk whose task fails comes back as its exception.

    Each chunk's task has settings.stage_timeout_seconds as its time limit; ``tracker`` hears of each chunk done.
    """
    parse = ops.stage_limit(settings)(nlp_parse)
    workers = max(1, int(settings.workers))
    batch = max(1, int(settings.nlp_batch_size))
    if settings.dask_address:  # (a Dask cluster is up already: all its workers)
        chunks = guided_chunks(todo, workers, batch)
    else:
        workers = workers_for(workers, sum(map(_text_chars, todo)))
        chunks = guided_chunks(todo, workers, batch) if workers > 1 else [todo[i:i + batch]
                                                                          for i in range(0, len(todo), batch)]
    done = (lambda i: tracker.chunk_done(len(chunks[i]))) if tracker is not None else None
    params = lambda c, threads: _params(c, models_dir, threads, settings.use_gpu)  # noqa: E731
    if settings.dask_address:
        outs = run_on_dask(settings.dask_address, chunks, parse, params, done)
    elif len(chunks) > 1 and workers > 1:
        lanes = min(workers, len(chunks))
        langs = tuple(sorted({a["language"] for a in todo}))
        threads = max(1, default_workers() // lanes)
        outs = run_lanes(chunks, [sum(map(_text_chars, c)) for c in chunks], parse, params, lanes,
                         (str(models_dir), langs, threads, settings.use_gpu), threads, done, what="NLP")
    else:
        threads = default_workers()  # one process: all its cores
        outs = run_here(chunks, lambda c: parse(**params(c, threads)), done)
    return list(zip(chunks, outs))


@dataclass
class _Plan:
    result: NlpResult
    todo: list[dict]  # NLP payloads to parse
    cached: NlpOutput  # rows of the cache hits
    models_dir: Path
    by_id: dict[str, dict]


def _plan(articles: list[dict], settings: Settings, run_id: str) -> _Plan:
    """Decide per article: skipped (language), failed (empty text), served from the parse cache, or to parse."""
    models_dir = resolve_models_dir(settings.models_dir)
    require_models_dir(models_dir)
    resources = read_resources(models_dir)
    result = NlpResult()
    by_id = {a["article_id"]: a for a in articles}

    todo: list[dict] = []
    usable: dict[str, bool] = {}
    for article in articles:
        aid, text = article["article_id"], article.get("text")
        lang = article.get("language") or settings.default_language
        if not lang and isinstance(text, str):
            lang = detect_language(text)
        if not lang:
            result.statuses[aid] = ("skipped_language", "language not stated and could not be detected")
            continue
        lang = _canonical_lang(resources, str(lang).lower())
        if lang not in usable:
            usable[lang] = has_models(lang, models_dir)
            if usable[lang]:
                result.model_versions[lang] = model_version(lang, models_dir)
        if not usable[lang]:
            result.statuses[aid] = ("skipped_language", _missing_message(lang, models_dir, "no model for it"))
            continue
        if isinstance(text, str) and not text.strip():
            result.statuses[aid] = ("failed", "empty_text: nothing to parse")
            result.failures.append({"article_id": aid, "reason": "empty_text", "detail": "text is empty"})
            continue
        todo.append({**{k: article.get(k) for k in _PAYLOAD_KEYS}, "language": lang})

    # Parse cache: (content_hash, model_version) already parsed -> read the rows back.
    cached = NlpOutput()
    if todo:
        from warehouse import read_earlier

        parses = read_earlier(settings.warehouse, "parses", columns=["content_hash", "model_version", "article_id"],
                              where={"content_hash": [a["content_hash"] for a in todo]})
        known = {(h, v): a for h, v, a in zip(*(parses.column(c).to_pylist()
                                                for c in ("content_hash", "model_version", "article_id")))}
        hits = {}
        for a in todo:
            src = known.get((a["content_hash"], result.model_versions[a["language"]]))
            if src is not None:
                hits[a["article_id"]] = (a, src)
        if hits:
            cached, served = _cached_rows(settings.warehouse, hits)
            result.cached_ids = sorted(served)
            todo = [a for a in todo if a["article_id"] not in served]
            for aid in served:
                result.statuses[aid] = ("parsed", None)
    return _Plan(result, todo, cached, models_dir, by_id)


def _chunk_failed(chunk: list[dict], exc: BaseException) -> NlpOutput:
    """A chunk whose task failed: each of its articles fails NLP (nlp_error); no models at all stops the run."""
    if isinstance(exc, ModelNotFoundError):
        raise exc
    detail = f"chunk failed: {type(exc).__name__}: {exc}"[:500]
    return NlpOutput(failures=[{"article_id": a["article_id"], "reason": "nlp_error", "detail": detail}
                               for a in chunk])


def _finish(plan: _Plan, run_id: str) -> NlpResult:
    """Statuses, quarantine rows and the rows link/events read, once plan.result.fresh holds the parses."""
    result, by_id, cached = plan.result, plan.by_id, plan.cached
    result.parsed_ids = result.fresh.parsed_ids
    for aid in result.parsed_ids:
        result.statuses[aid] = ("parsed", None)
    now = datetime.now(timezone.utc)
    for f in result.failures + result.fresh.failures:
        if f not in result.failures:
            result.failures.append(f)
    for f in result.failures:
        aid = f["article_id"]
        result.statuses[aid] = ("failed", f"{f['reason']}: {f['detail']}"[:500])
        source = (by_id.get(aid) or {}).get("source_path") or f"article:{aid}"
        result.quarantine.append({
            "quarantine_id": stable_id("q", source, "nlp", f["reason"]),
            "source_path": source, "stage": "nlp", "reason": f["reason"], "detail": f["detail"],
            "stored_path": None, "run_id": run_id, "quarantined_at": now,
        })
    result.sentences = cached.sentences + result.fresh.sentences
    result.tokens = cached.tokens + result.fresh.tokens
    result.mentions = cached.mentions + result.fresh.mentions
    log.info("nlp: %d parsed, %d from cache, %d failed, %d skipped", len(result.parsed_ids), len(result.cached_ids),
             len(result.failures), sum(1 for s, _ in result.statuses.values() if s == "skipped_language"))
    return result


def run_nlp(articles: list[dict], settings: Settings, run_id: str) -> NlpResult:
    """NLP for a batch of articles (dicts with article_id, text, language, content_hash; source_path optional).

    Raises ModelNotFoundError when the models directory has no resources.json at all (nothing could be
    parsed); a language without models only skips its articles (status 'skipped_language').
    """
    plan = _plan(articles, settings, run_id)
    tracker = _ArticleProgress(total=len(articles), done=len(articles) - len(plan.todo)) if articles else None
    if plan.todo:
        for chunk, out in _run_chunks(plan.todo, settings, plan.models_dir, tracker):
            plan.result.fresh.extend(_chunk_failed(chunk, out) if isinstance(out, BaseException) else out)
    return _finish(plan, run_id)


# ------------------------------------------------------------------ parse and extract: one fan-out per batch

@task(name="nlp-extract", cache_policy=NO_CACHE, persist_result=False)
def nlp_extract(job: bytes, models_dir: str, torch_threads: int | None = None, use_gpu: bool = False) -> bytes:
    """Parse a chunk of articles, then link them and code their events and relations, in this process (thin:
    tasks.extract.run_job does the work). The job and its output travel pickled: Prefect's task engine does not
    walk bytes (it would walk a list of row dicts, quote()d or not: seconds)."""
    ops.attach_project_loggers()  # in a pool worker too: its khabar lines go to the run's logs
    out = run_job(pickle.loads(job), models_dir=models_dir, torch_threads=torch_threads, use_gpu=use_gpu)
    return pickle.dumps(out, pickle.HIGHEST_PROTOCOL)


def _job_size(job: Job) -> int:
    """A job's share of the work, in parse characters: ~75 us a token to extract is ~1 character's parse."""
    return sum(map(_text_chars, job.parse)) + sum(map(item_weight, job.items))


def pool_initargs(settings: Settings, models_dir: Path | None, langs: tuple[str, ...], lanes: int) -> tuple:
    """What a pool worker is started with (flows.workers.init_worker): models (None: the pool only extracts, so
    its workers import neither torch nor Stanza), languages, torch threads, GPU."""
    return (None if models_dir is None else str(models_dir), tuple(sorted(langs)), max(1, default_workers() // lanes),
            settings.use_gpu)


def start_pool(docs: list, settings: Settings) -> LanePool | None:
    """Start the worker processes a batch of ingested documents (tasks.ingest.RawDocument) will need, before it is
    cleaned and deduplicated: they import and load their models meanwhile. None when the batch keeps no worker
    busy (workers_for on its raw text), a Dask cluster does the work, or the models are missing (the NLP stage then
    says so). Sized by the text of documents not parsed before (_not_parsed_before); the workers load the languages
    of the first 50 of them (declared, the default, else detected)."""
    if settings.dask_address:
        return None
    docs = _not_parsed_before(docs, settings)
    texts = [(d.main_text if d.main_text is not None else d.raw_text, d.language) for d in docs]
    lanes = workers_for(max(1, int(settings.workers)), sum(max(1, len(t or "")) for t, _ in texts))
    if lanes < 2:
        return None
    models_dir = resolve_models_dir(settings.models_dir)
    langs = {lang or settings.default_language or detect_language(text) for text, lang in texts[:50]}
    langs = tuple(lang for lang in langs if lang and has_models(lang, models_dir))
    if not langs:
        return None
    return LanePool(lanes - 1, pool_initargs(settings, models_dir, langs, lanes))


def _not_parsed_before(docs: list, settings: Settings) -> list:
    """The documents whose article has no parse in the warehouse yet: a batch read again (a re-run) is mostly served
    from the parse cache, and its workers should not start Stanza for text nobody will parse. (By article id: an
    article whose text is unchanged but whose id is new, or the reverse, is found by the NLP stage's own lookup.)"""
    from tasks.ingest import article_id_of
    from warehouse import read_earlier

    ids = [article_id_of(d) for d in docs]
    parsed = set(read_earlier(settings.warehouse, "parses", columns=["article_id"],
                              where={"article_id": ids}).column("article_id").to_pylist())
    return [d for d, aid in zip(docs, ids) if aid not in parsed] if parsed else docs


def run_nlp_extract(articles: list[dict], settings: Settings, run_id: str, *,
                    events: bool = True, pool: LanePool | None = None) -> tuple[NlpResult, ExtractOutput]:
    """NLP, then link, events and relations, of a batch of articles in one fan-out: each worker parses its
    chunk and extracts it in the same process (no second pool, no rows shipped between the two steps).

    Cache hits (articles parsed before) are only extracted, in chunks of their own on the same workers. The NLP
    result is run_nlp's; the extraction is flows.extract.run_extract's on the articles that have a parse, in
    ``articles``' order (entities: the dictionary's rows, then each article's provisional ones, first wins), so
    neither depends on the worker count or the runner. ``events`` False: link only. ``pool``: workers started
    earlier (start_pool), used when this batch needs more than this process and they were started for its languages.
    """
    plan = _plan(articles, settings, run_id)
    result = plan.result
    wanted = {a["article_id"]: for_extract(a) for a in articles}
    cached_ids = set(result.cached_ids)
    cached_items = extract_items([a for a in articles if a["article_id"] in cached_ids],
                                 {"sentences": plan.cached.sentences, "tokens": plan.cached.tokens,
                                  "mentions": plan.cached.mentions})
    configured = max(1, int(settings.workers))
    batch = max(1, int(settings.nlp_batch_size))
    text = sum(map(_text_chars, plan.todo))
    tokens = sum(map(item_weight, cached_items))
    if settings.dask_address:
        lanes = configured
    else:
        lanes = max(workers_for(configured, text), extract_workers_for(configured, tokens))
    parse_chunks = (guided_chunks(plan.todo, lanes, batch) if lanes > 1
                    else [plan.todo[i:i + batch] for i in range(0, len(plan.todo), batch)])
    jobs = [Job(parse=c, articles={a["article_id"]: wanted[a["article_id"]] for a in c}, events=events)
            for c in parse_chunks]
    jobs += [Job(items=c, events=events) for c in chunks_of(cached_items, lanes if lanes > 1 else 1)]
    tracker = _ArticleProgress(total=len(articles), done=len(articles) - len(plan.todo)) if articles else None
    done = (lambda i: tracker.chunk_done(len(jobs[i].parse))) if tracker is not None else None
    task_ = ops.stage_limit(settings)(nlp_extract)
    params = lambda job, threads: {"job": pickle.dumps(job, pickle.HIGHEST_PROTOCOL),  # noqa: E731
                                   "models_dir": str(plan.models_dir), "torch_threads": threads,
                                   "use_gpu": settings.use_gpu}
    if not jobs:
        outs = []
    elif settings.dask_address:
        outs = run_on_dask(settings.dask_address, jobs, task_, params, done)
    elif lanes > 1 and len(jobs) > 1:
        lanes = min(lanes, len(jobs))
        langs = {a["language"] for a in plan.todo}
        if pool is not None and pool.usable(str(plan.models_dir), settings.use_gpu):  # (a language it did not
            # load at start is loaded at its first chunk there: tasks.nlp.get_pipeline)
            outs = pool.run(jobs, [_job_size(j) for j in jobs], task_, params, done)
        else:
            initargs = pool_initargs(settings, plan.models_dir if plan.todo else None, langs, lanes)
            outs = run_lanes(jobs, [_job_size(j) for j in jobs], task_, params, lanes, initargs, initargs[2], done)
    else:
        threads = default_workers()  # one process: all its cores
        outs = run_here(jobs, lambda job: task_(**params(job, threads)), done)

    extracted: dict[str, ExtractOutput] = {}
    for job, out in zip(jobs, outs):
        if isinstance(out, BaseException):
            if not job.parse:  # an extract-only chunk: extraction failing fails the run, as run_extract does
                raise out
            result.fresh.extend(_chunk_failed(job.parse, out))
            continue
        out = pickle.loads(out) if isinstance(out, bytes) else out
        if out.error:
            raise RuntimeError(f"extract failed in a worker process:\n{out.error}")
        if out.nlp is not None:
            result.fresh.extend(out.nlp)
        extracted.update(out.extracted)
    _finish(plan, run_id)
    merged = merge([extracted[a["article_id"]] for a in articles if a["article_id"] in extracted])
    log.info("nlp+extract: %d jobs on %d process(es) %s; Stanza pipelines each has loaded: %s", len(jobs),
             len(merged.pids), sorted(merged.pids), dict(sorted(result.fresh.pipeline_loads.items())))
    return result, merged
