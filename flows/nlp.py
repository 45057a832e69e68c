"""NLP stage, Prefect part: decide per article, reuse the parse cache, parse the rest in parallel chunks.

``run_nlp`` is called by the pipeline flow (inside its @flow) or on its own. Parsing runs as the Prefect
task ``nlp-parse``, one task per chunk of articles:
- workers == 1: in this process (no pool; the pipeline stays loaded for later calls), chunks of
  nlp_batch_size articles, torch threads = all cores;
- workers  > 1: ``workers`` lanes pull chunks from one queue: this process (one thread) and workers - 1
  processes of Prefect's ProcessPoolTaskRunner (spawned, cloudpickle), one Stanza pipeline per process,
  torch threads = max(1, cores // workers); chunks shrink towards the end (``guided_chunks``);
- settings.dask_address: prefect_dask's DaskTaskRunner on that scheduler (torch threads 1 per task:
  Dask scales by worker processes; each worker process caches its own pipeline).
All the language work lives in tasks/nlp.py.
"""
from __future__ import annotations

import contextlib
import logging
import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterator

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows import ops, progress
from khabar.config import Settings, default_workers
from tasks.ids import stable_id
from tasks.nlp import (
    ModelNotFoundError,
    NlpOutput,
    _canonical_lang,
    _missing_message,
    detect_language,
    has_models,
    init_worker,
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
def nlp_parse(articles: list[dict], models_dir: str, torch_threads: int | None = None) -> NlpOutput:
    """Parse one chunk of articles (thin wrapper; the worker process keeps its pipeline between chunks)."""
    ops.attach_project_loggers()  # in a pool worker too: its khabar lines go to the run's logs
    return parse_articles(articles, models_dir=Path(models_dir), torch_threads=torch_threads)


@task(name="nlp-worker-ready", cache_policy=NO_CACHE, persist_result=False)
def nlp_worker_ready() -> int:
    """Runs in a pool worker after its initializer (imports, pipeline load): the worker can take chunks now."""
    return os.getpid()


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


# --------------------------------------------------------------------------------------------- running

@contextlib.contextmanager
def _shared_api() -> Iterator[None]:
    """Make worker processes report to the Prefect API this process uses.

    With no PREFECT_API_URL, Prefect serves an ephemeral API from a local server process; a spawned worker would
    start one of its own (seconds each, and its task runs would land in a throw-away database). The client
    knows the address of the one in use (``get_client().api_url``): the workers get it as PREFECT_API_URL, the
    documented setting, through Prefect's settings context (which task runners pass on to their workers).
    """
    from prefect import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    if PREFECT_API_URL.value():
        yield
        return
    url = str(get_client(sync_client=True).api_url).rstrip("/")  # httpx keeps a trailing '/'
    if not url.startswith(("http://", "https://")) or "ephemeral-prefect" in url:  # an in-process app: no address
        log.warning("the ephemeral Prefect API has no address to share with NLP workers (%s); each starts its own",
                    url)
        yield
        return
    with temporary_settings(updates={PREFECT_API_URL: url}):
        yield


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


# A spawned worker needs ~5.5 s to start (imports, model load; docs/nlp.md) and takes a core from this process
# meanwhile: measured, 2 workers lost to 1 at 60 articles and won at 200. So each worker past the first needs
# this much text to parse (characters: ~110 COUNTER articles, ~25 s of one lane's work).
TEXT_PER_EXTRA_WORKER = 150_000


def workers_for(configured: int, text_chars: int) -> int:
    """NLP lanes for a batch of ``text_chars`` characters: the configured count, but no more than the text keeps
    busy; a handful of articles is parsed in this process, with no worker spawned."""
    return max(1, min(int(configured), 1 + text_chars // TEXT_PER_EXTRA_WORKER))


def pool_chunks_wanted(workers_ready: int, text_left: int, text_held: int) -> int:
    """How many chunks the ready pool workers should hold: one each, plus one queued each while the text not
    yet handed out (``text_left``, characters) is more than the lanes hold (``text_held``)."""
    return workers_ready * (2 if text_left > text_held else 1)


def _params(chunk: list[dict], models_dir: Path, threads: int) -> dict:
    return {"articles": chunk, "models_dir": str(models_dir), "torch_threads": threads}


def _run_chunks(todo: list[dict], settings: Settings, models_dir: Path,
                tracker: _ArticleProgress | None = None) -> list[tuple[list[dict], NlpOutput | BaseException]]:
    """Cut ``todo`` into chunks and run nlp-parse on each; a chunk whose task fails comes back as its exception.

    Each chunk's task has settings.stage_timeout_seconds as its time limit; ``tracker`` hears of each chunk done.
    """
    results: list[tuple[list[dict], NlpOutput | BaseException]] = []
    parse = ops.stage_limit(settings)(nlp_parse)
    chunk_done = tracker.chunk_done if tracker is not None else (lambda articles: None)
    workers = max(1, int(settings.workers))
    batch = max(1, int(settings.nlp_batch_size))
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        chunks = guided_chunks(todo, workers, batch)
        with _shared_api(), DaskTaskRunner(address=settings.dask_address) as runner:
            futures = [runner.submit(parse, _params(c, models_dir, 1)) for c in chunks]
            for c, f in zip(chunks, futures):
                results.append((c, _result(f)))
                chunk_done(len(c))
        return results
    workers = workers_for(workers, sum(map(_text_chars, todo)))  # (a Dask cluster is up already: all its workers)
    chunks = guided_chunks(todo, workers, batch) if workers > 1 else [todo[i:i + batch]
                                                                      for i in range(0, len(todo), batch)]
    if len(chunks) > 1 and workers > 1:
        langs = tuple(sorted({a["language"] for a in todo}))
        return _run_lanes(chunks, models_dir, langs, min(workers, len(chunks)), parse, chunk_done)
    threads = default_workers()  # one process: all its cores
    for c in chunks:
        try:
            results.append((c, parse(c, str(models_dir), threads)))
        except Exception as exc:
            results.append((c, exc))
        chunk_done(len(c))
    return results


def _run_lanes(chunks: list[list[dict]], models_dir: Path, langs: tuple[str, ...], lanes: int,
               parse: Any = nlp_parse, chunk_done: Any = None) -> list[tuple[list[dict], NlpOutput | BaseException]]:
    """``lanes`` parsers pull chunks from one queue: this process (one thread) and lanes - 1 spawned workers.

    This process is a lane because it can start parsing at once, while a spawned worker spends seconds
    importing torch/Stanza/Prefect and loading its models (measured: docs/nlp.md). A worker gets chunks only
    once its ``nlp-worker-ready`` task has run (after the pool initializer), so a small batch is parsed here
    before any worker is up, and no chunk waits behind a worker that is still starting. A ready worker has
    a second chunk queued (so it does not wait ~0.2 s for its next one) only while the text not yet handed
    out is more than the lanes hold: at the end chunks go out one at a time, so no chunk sits queued behind
    a busy worker while another lane is idle (a traced run lost 6 s that way). A worker lane whose task
    fails (e.g. the process was killed) takes no more chunks and this process parses the rest.
    """
    import queue
    from collections import deque

    from prefect.task_runners import ProcessPoolTaskRunner, ThreadPoolTaskRunner

    threads = max(1, default_workers() // lanes)
    todo = deque(range(len(chunks)))
    size = [sum(map(_text_chars, c)) for c in chunks]
    finished: queue.Queue = queue.Queue()
    outcome: dict[int, NlpOutput | BaseException] = {}
    here = ThreadPoolTaskRunner(max_workers=1)
    pool = ProcessPoolTaskRunner(max_workers=lanes - 1, initializer=init_worker,
                                 initargs=(str(models_dir), langs, threads))
    held: dict[int, Any] = {}  # chunk -> runner, for chunks handed out and not back yet
    workers_ready = 0

    def launch(runner: Any) -> None:
        i = todo.popleft()
        held[i] = runner
        future = runner.submit(parse, _params(chunks[i], models_dir, threads))
        future.add_done_callback(lambda f, i=i, runner=runner: finished.put((i, runner, f)))

    def feed_pool() -> None:
        while todo and sum(1 for r in held.values() if r is pool) < pool_chunks_wanted(
                workers_ready, sum(size[i] for i in todo), sum(size[i] for i in held)):
            launch(pool)

    with _shared_api(), here, _shut_down_after(pool):
        launch(here)
        for _ in range(lanes - 1):  # each submit spawns one worker process; it runs after the initializer
            pool.submit(nlp_worker_ready, {}).add_done_callback(lambda f: finished.put((None, pool, f)))
        while held:  # this process's lane always has a chunk while the queue has one
            i, runner, future = finished.get()
            if i is None:  # a worker is up (or failed to start: then it gets nothing)
                ready = _result(future)
                if isinstance(ready, BaseException):
                    log.warning("an NLP worker process failed to start (%s: %s); parsing here instead",
                                type(ready).__name__, ready)
                else:
                    workers_ready += 1
                    feed_pool()
                continue
            del held[i]
            outcome[i] = _result(future)
            if chunk_done is not None:
                chunk_done(len(chunks[i]))
            if runner is pool and isinstance(outcome[i], BaseException):
                workers_ready = max(0, workers_ready - 1)  # that worker is gone (or broken): it gets nothing more
            if runner is here and todo:
                launch(here)
            feed_pool()
    return [(c, outcome[i]) for i, c in enumerate(chunks)]


@contextlib.contextmanager
def _shut_down_after(pool: Any) -> Iterator[Any]:
    """Enter a process-pool runner; on success, shut it down in a thread instead of waiting here.

    Worker processes take ~2 s to exit (torch, Prefect's exit hooks); every result is already in hand, so
    the flow goes on meanwhile. The thread is not a daemon: the interpreter still waits for it at exit.
    """
    import threading

    pool.__enter__()
    try:
        yield pool
    except BaseException:
        pool.__exit__(*sys.exc_info())
        raise
    threading.Thread(target=pool.__exit__, args=(None, None, None), name="khabar-nlp-pool-shutdown").start()


def _result(future: Any) -> NlpOutput | BaseException:
    try:
        return future.result()
    except BaseException as exc:  # a crashed worker, a failed task: the chunk's articles fail, the rest go on
        if isinstance(exc, KeyboardInterrupt):
            raise
        return exc


def run_nlp(articles: list[dict], settings: Settings, run_id: str) -> NlpResult:
    """NLP for a batch of articles (dicts with article_id, text, language, content_hash; source_path optional).

    Raises ModelNotFoundError when the models directory has no resources.json at all (nothing could be
    parsed); a language without models only skips its articles (status 'skipped_language').
    """
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

    tracker = _ArticleProgress(total=len(articles), done=len(articles) - len(todo)) if articles else None
    if todo:
        for chunk, out in _run_chunks(todo, settings, models_dir, tracker):
            if isinstance(out, BaseException):
                if isinstance(out, ModelNotFoundError):
                    raise out
                detail = f"chunk failed: {type(out).__name__}: {out}"[:500]
                out = NlpOutput(failures=[{"article_id": a["article_id"], "reason": "nlp_error", "detail": detail}
                                          for a in chunk])
            result.fresh.extend(out)

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
