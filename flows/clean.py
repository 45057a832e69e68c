"""Clean stage, orchestration only: a batch's documents cleaned into `articles` rows (tasks.clean.article_rows) on the
lanes that do the rest of its per-article work: this process and the batch's pool workers (flows.workers.LanePool),
or the Dask cluster of --dask-address. Dedup compares the cleaned texts of the whole batch, so clean is the one
per-article stage that runs before the fan-out of the others; it still runs on every lane. The rows come back in
the documents' order, whatever lane cleaned them; a chunk that fails fails the batch, as the stage always did.
"""
from __future__ import annotations

import math
import pickle
from datetime import datetime, timezone

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows import ops
from flows.workers import LanePool, run_here, run_on_dask
from khabar.config import Settings
from tasks.clean import article_rows
from tasks.ingest import article_id_of
from warehouse import read_earlier

# Documents a chunk holds at least: a chunk is one Prefect task run (~30 ms here), an article ~1 ms to clean.
MIN_DOCS_PER_CHUNK = 50


@task(name="clean", cache_policy=NO_CACHE, persist_result=False)
def clean_chunk(job: bytes) -> bytes:
    """Clean a chunk of documents into `articles` rows in this process (thin: tasks.clean.article_rows). The job and
    the rows travel pickled: Prefect's task engine does not walk bytes."""
    docs, run_id, existing, default_language, now = pickle.loads(job)
    rows = article_rows(docs, run_id=run_id, existing=existing, default_language=default_language, now=now)
    return pickle.dumps(rows, pickle.HIGHEST_PROTOCOL)


def run_clean(docs: list, settings: Settings, run_id: str, pool: LanePool | None = None) -> list[dict]:
    """The batch's `articles` rows, in ``docs``' order: in this process (one task), or in chunks on this process and
    ``pool``'s workers once they are up, or on the Dask cluster. An article stored before keeps its first run and
    time (read here, by the batch's ids); every row of the batch gets the same ingested_at otherwise."""
    ids = [article_id_of(d) for d in docs]
    earlier = read_earlier(settings.warehouse, "articles", columns=["article_id", "run_id", "ingested_at"],
                           where={"article_id": ids})  # re-read articles only
    first_seen = {r["article_id"]: r for r in earlier.to_pylist()}
    now = datetime.now(timezone.utc)
    lanes = (max(1, int(settings.workers)) if settings.dask_address else pool.workers + 1 if pool is not None else 1)
    size = max(MIN_DOCS_PER_CHUNK, math.ceil(len(docs) / (2 * lanes))) if lanes > 1 else max(1, len(docs))
    chunks = [(docs[i:i + size], ids[i:i + size]) for i in range(0, len(docs), size)]
    jobs = [pickle.dumps((chunk, run_id, {a: first_seen[a] for a in chunk_ids if a in first_seen},
                          settings.default_language, now), pickle.HIGHEST_PROTOCOL) for chunk, chunk_ids in chunks]
    task_ = ops.stage_limit(settings)(clean_chunk)
    params = lambda job, threads: {"job": job}  # noqa: E731
    if settings.dask_address and jobs:
        outs = run_on_dask(settings.dask_address, jobs, task_, params)
    elif pool is not None and len(jobs) > 1:
        outs = pool.run(jobs, [len(c) for c, _ in chunks], task_, params, what="clean")
    else:
        outs = run_here(jobs, lambda job: task_(job=job))
    rows: list[dict] = []
    for out in outs:
        if isinstance(out, BaseException):
            raise out
        rows.extend(pickle.loads(out))
    get_run_logger().info("clean: %d articles in %d chunk(s), %d furniture lines removed", len(rows), len(jobs),
                          sum(len(r["removed_lines"]) for r in rows))
    return rows
