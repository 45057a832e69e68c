"""Extraction on its own, Prefect part: link + events + relations per article, fanned out in chunks.

The pipeline flow no longer calls this after NLP: flows.nlp.run_nlp_extract parses and extracts each chunk in
the same worker (one fan-out). ``run_extract`` stays for extraction of parses already in hand (benches, tests,
bench/extract_parallel.py), on the pool and runners of flows/workers.py. Each chunk of articles runs as the Prefect task
``extract`` (tasks.extract.extract_articles does the work):
- a small batch (``extract_workers_for``): one chunk, in this process, no worker spawned;
- workers > 1: Prefect's ProcessPoolTaskRunner, one chunk per worker process (spawned; its initializer loads
  the dictionary, its index and the lexicons once per process); chunks travel as pickled bytes, which
  Prefect's task engine does not walk (a quote()d list of row dicts it still walked in the worker: seconds);
- settings.dask_address: prefect_dask's DaskTaskRunner on that scheduler (each worker process loads the
  dictionary once, at its first chunk, and keeps it).
Rows go in and out quote()d or pickled: Prefect does not walk them. Chunks are merged back in article order, so the rows
do not depend on the number of workers.
"""
from __future__ import annotations

import pickle
from typing import Any, Sequence

from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.utilities.annotations import quote

from flows import ops
from flows.workers import init_worker, result, shared_api, shut_down_after
from khabar.config import Settings
from tasks.extract import ExtractOutput, Item, chunks_of, extract_articles, item_weight, merge

# A spawned worker needs ~4.5 s to start on a busy 2-core machine (Prefect imports, the dictionary and its
# index) while linking and coding take ~75 us a token (bench/extract_parallel.py, docs/performance.md): 2 workers
# beat 1 only past ~120,000 tokens. Each worker past the first needs this many tokens to pay for itself.
TOKENS_PER_EXTRA_WORKER = 200_000


@task(name="extract", cache_policy=NO_CACHE, persist_result=False)
def extract_chunk(items: list[Item] | bytes, events: bool = True) -> ExtractOutput | bytes:
    """Link, events and relations of one chunk of articles (thin: tasks.extract does the work).

    ``items`` as pickled bytes (``packed``): a chunk sent to a worker process. Prefect's task engine there
    walks the parameters, quote() or not (measured: ~8 s for 300 articles' token rows, more than the work);
    bytes it does not walk. The rows come back pickled too."""
    ops.attach_project_loggers()
    if isinstance(items, bytes):
        return pickle.dumps(extract_articles(pickle.loads(items), events=events), pickle.HIGHEST_PROTOCOL)
    return extract_articles(items, events=events)


def packed(items: list[Item]) -> bytes:
    return pickle.dumps(items, pickle.HIGHEST_PROTOCOL)


def extract_workers_for(configured: int, tokens: int) -> int:
    """Worker processes for ``tokens`` of parsed text: the configured count, no more than the work keeps busy."""
    return max(1, min(int(configured), 1 + tokens // TOKENS_PER_EXTRA_WORKER))


def run_extract(items: Sequence[Item], settings: Settings, events: bool = True) -> ExtractOutput:
    """Link, events and relations of ``items`` (tasks.extract.extract_items); the entity rows include the
    dictionary's. Same rows whatever the number of workers or the runner."""
    items = list(items)
    task_ = ops.stage_limit(settings)(extract_chunk)
    if not items:
        return merge([])
    if settings.dask_address:
        from prefect_dask import DaskTaskRunner

        chunks = chunks_of(items, 4 * max(1, int(settings.workers)))
        with shared_api(), DaskTaskRunner(address=settings.dask_address) as runner:
            futures = [runner.submit(task_, {"items": packed(c), "events": events}) for c in chunks]
            return merge([_raise(result(f)) for f in futures])
    workers = extract_workers_for(settings.workers, sum(map(item_weight, items)))
    if workers == 1:
        return merge([task_(quote(items), events)])
    from prefect.task_runners import ProcessPoolTaskRunner

    chunks = chunks_of(items, workers)
    pool = ProcessPoolTaskRunner(max_workers=workers, initializer=init_worker, initargs=(None, (), None))
    with shared_api(), shut_down_after(pool):  # workers exit in a thread: the flow goes on meanwhile
        futures = [pool.submit(task_, {"items": packed(c), "events": events}) for c in chunks]
        return merge([_raise(result(f)) for f in futures])


def _raise(out: Any) -> ExtractOutput:
    if isinstance(out, BaseException):
        raise out
    return pickle.loads(out) if isinstance(out, bytes) else out
