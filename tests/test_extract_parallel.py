"""Extraction (link + events + relations, one article at a time) in worker processes: Prefect's
ProcessPoolTaskRunner and prefect_dask on a local Dask cluster give exactly the rows of one in-process run, and
those are the rows of linking the whole batch, then coding it (the flow before extraction moved to workers).
Real parses from a real warehouse (the seeds + COUNTER articles through `etl --until nlp`), real Prefect API,
real processes.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

import flows.extract as fx
from khabar.config import Settings

pytestmark = pytest.mark.slow

COUNTER_ARTICLES = 12


def _signature(out) -> tuple:
    key = lambda rows: sorted(json.dumps(r, sort_keys=True, default=str) for r in rows)  # noqa: E731
    return tuple(key(getattr(out, t)) for t in ("mentions", "entities", "events", "relations"))


@pytest.fixture(scope="module")
def parsed(seeds_dir, counter_dir, stanza_dir, tmp_path_factory):
    """(warehouse, items): the seeds and some COUNTER articles parsed by a real run, read back from its cache."""
    from prefect.testing.utilities import prefect_test_harness

    from flows.nlp import _cached_rows
    from flows.pipeline import etl
    from tasks.extract import extract_items
    from warehouse import read_earlier

    root = tmp_path_factory.mktemp("extract")
    inputs = root / "in"
    inputs.mkdir()
    for p in sorted(seeds_dir.glob("*.txt")):
        (inputs / p.name).write_bytes(p.read_bytes())
    with open(counter_dir / "docs.jsonl", encoding="utf-8") as fh:
        (inputs / "counter.jsonl").write_text("".join(next(fh) for _ in range(COUNTER_ARTICLES)), encoding="utf-8")
    wh = root / "wh"
    with prefect_test_harness(server_startup_timeout=90):
        etl([str(inputs)], settings=Settings(warehouse=wh, models_dir=stanza_dir, workers=1), until="nlp")
    articles = [a for a in read_earlier(wh, "articles").to_pylist() if a.get("nlp_status") == "parsed"]
    rows, _ = _cached_rows(wh, {a["article_id"]: (a, a["article_id"]) for a in articles})
    items = extract_items(articles, {"sentences": rows.sentences, "tokens": rows.tokens, "mentions": rows.mentions})
    assert len(items) >= COUNTER_ARTICLES  # seeds + COUNTER, less any duplicates
    return wh, items


@pytest.fixture(scope="module")
def reference(parsed):
    """One in-process run of the extract step inside a flow; and the batch linked whole, then coded."""
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from tasks import events, link, relations

    wh, items = parsed

    @flow
    def one_worker():
        return fx.run_extract(items, Settings(warehouse=wh, workers=1))

    with prefect_test_harness(server_startup_timeout=90):
        got = one_worker()

    d = link.load_dictionary()  # the batch as the flow coded it before: all articles linked, then all coded
    whole = type("Whole", (), {})()
    whole.mentions, entities = [], {r["entity_id"]: r for r in link.dictionary_entity_rows(d)}
    for art, sents, toks, ner in items:
        out = link.link_article(art, sents, toks, ner, d)
        whole.mentions += out.mentions
        for row in out.entities:
            entities.setdefault(row["entity_id"], row)
    whole.entities, whole.events, whole.relations = list(entities.values()), [], []
    for art, sents, toks, _ in items:
        mine = [m for m in whole.mentions if m["article_id"] == art["article_id"]]
        whole.events += events.extract_events(art, sents, toks, mine, entities)
        whole.relations += relations.extract_relations(art, sents, toks, mine, entities)
    return _signature(got), _signature(whole), [r["entity_id"] for r in got.entities], \
        [r["entity_id"] for r in whole.entities]


def test_in_process_rows_equal_the_whole_batch_linked_then_coded(reference):
    got, whole, got_ids, whole_ids = reference
    assert got == whole
    assert got_ids == whole_ids  # the entities table: dictionary rows, then each article's new ones, first wins
    assert got[2], "no events at all: the comparison would prove little"


def test_two_worker_processes_give_the_rows_of_one(parsed, reference, monkeypatch):
    import os

    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    wh, items = parsed
    monkeypatch.setattr(fx, "TOKENS_PER_EXTRA_WORKER", 1)  # a few articles would stay in this process
    @flow
    def two_workers():
        return fx.run_extract(items, Settings(warehouse=wh, workers=2))

    assert fx.extract_workers_for(2, 10**9) == 2
    with prefect_test_harness(server_startup_timeout=90):
        got = two_workers()
    assert _signature(got) == reference[0]
    assert [r["entity_id"] for r in got.entities] == reference[2]
    assert got.articles == len(items)
    assert len(got.pids) == 2 and os.getpid() not in got.pids, got.pids  # two worker processes did the work


def test_small_batches_stay_in_process():
    assert fx.extract_workers_for(8, 1000) == 1
    assert fx.extract_workers_for(2, 10 * fx.TOKENS_PER_EXTRA_WORKER) == 2
    assert fx.extract_workers_for(1, 10**9) == 1


def test_dask_local_cluster_gives_the_rows_of_the_process_pool(parsed, reference):
    import os

    from distributed import LocalCluster
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    wh, items = parsed

    @flow
    def on_dask(address: str):
        return fx.run_extract(items, Settings(warehouse=wh, workers=2, dask_address=address))

    with prefect_test_harness(server_startup_timeout=90), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        got = on_dask(cluster.scheduler_address)
    assert _signature(got) == reference[0]
    assert [r["entity_id"] for r in got.entities] == reference[2]
    assert os.getpid() not in got.pids and 1 <= len(got.pids) <= 2, got.pids


# ------------------------------------------------ one fan-out: parse and extract in the same worker (run_nlp_extract)

def _articles(wh: Path, fresh_every: int = 1) -> list[dict]:
    """The parsed articles as the flow hands them to NLP; every ``fresh_every``-th one under a new content hash
    (a parse-cache miss: parsed again), the others served from the warehouse's parse cache."""
    from warehouse import read_earlier

    arts = [a for a in read_earlier(wh, "articles").to_pylist() if a.get("nlp_status") == "parsed"]
    return [{**a, "content_hash": a["content_hash"] + "-new"} if i % fresh_every == 0 else a
            for i, a in enumerate(arts)]


def _with_copies(arts: list[dict], copies: int) -> list[dict]:
    """``arts`` plus ``copies`` copies of each under new ids and content hashes (parsed again: more work)."""
    return arts + [{**a, "article_id": f"{a['article_id']}#{k}", "content_hash": f"{a['content_hash']}#{k}"}
                   for k in range(1, copies + 1) for a in arts]


def _fused(articles: list[dict], settings: Settings):
    from prefect import flow

    from flows.nlp import run_nlp_extract

    @flow
    def fused():
        return run_nlp_extract(articles, settings, "fused")

    return fused()


def test_fused_in_one_process_all_parsed_again_gives_the_rows_of_extract(parsed, reference, stanza_dir, tmp_path):
    from prefect.testing.utilities import prefect_test_harness

    wh, items = parsed
    arts = _articles(wh)  # every article a cache miss: parsed, then extracted, by the same call
    with prefect_test_harness(server_startup_timeout=90):
        nlp, got = _fused(arts, Settings(warehouse=wh, models_dir=stanza_dir, workers=1))
    assert not nlp.failures and len(nlp.parsed_ids) == len(items) and not nlp.cached_ids
    assert _signature(got) == reference[0]  # the same rows as extracting the cached parses
    assert sorted(r["entity_id"] for r in got.entities) == sorted(reference[2])  # (an article's own entities
    # come in its mentions' order, which a fresh parse and the cache's read-back need not share)


@pytest.fixture(scope="module")
def today_mixed(parsed, stanza_dir):
    """Half the articles parsed again, half from the cache, the way the flow did it before the fused fan-out:
    run_nlp, then run_extract on its rows (1 process)."""
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    from flows.nlp import run_nlp
    from tasks.extract import extract_items

    wh, _ = parsed
    arts = _with_copies(_articles(wh, fresh_every=2), 4)  # enough work that a spawned worker is up in time
    settings = Settings(warehouse=wh, models_dir=stanza_dir, workers=1)

    @flow
    def before():
        nlp = run_nlp(arts, settings, "before")
        with_parse = [a for a in arts if a["article_id"] in {r["article_id"] for r in nlp.sentences}]
        rows = {"sentences": nlp.sentences, "tokens": nlp.tokens, "mentions": nlp.mentions}
        return fx.run_extract(extract_items(with_parse, rows), settings)

    with prefect_test_harness(server_startup_timeout=90):
        got = before()
    return arts, _signature(got), [r["entity_id"] for r in got.entities]


def test_fused_two_workers_mixed_cache_hits_give_the_rows_of_one(parsed, reference, today_mixed, stanza_dir,
                                                                   monkeypatch):
    import os

    import flows.nlp
    from prefect.testing.utilities import prefect_test_harness

    wh, items = parsed
    monkeypatch.setattr(flows.nlp, "TEXT_PER_EXTRA_WORKER", 1)  # a few articles would stay in this process
    arts = today_mixed[0]  # half parsed again (parse + extract jobs), half cache hits (extract jobs)
    with prefect_test_harness(server_startup_timeout=90):
        nlp, got = _fused(arts, Settings(warehouse=wh, models_dir=stanza_dir, workers=2, nlp_batch_size=1))
    assert not nlp.failures and nlp.cached_ids and nlp.parsed_ids
    assert len(nlp.parsed_ids) + len(nlp.cached_ids) == 5 * len(items)
    assert _signature(got) == today_mixed[1]
    assert [r["entity_id"] for r in got.entities] == today_mixed[2]
    assert got.articles == 5 * len(items)
    assert os.getpid() in got.pids and len(got.pids) == 2, got.pids  # this process's lane and one spawned worker
    worker = next(p for p in got.pids if p != os.getpid())
    assert nlp.fresh.pipeline_loads.get(worker) == 1, nlp.fresh.pipeline_loads  # it parsed too, one pipeline


def test_fused_on_a_dask_cluster_gives_the_rows_of_one(parsed, reference, today_mixed, stanza_dir):
    import os

    from distributed import LocalCluster
    from prefect.testing.utilities import prefect_test_harness

    wh, items = parsed
    arts = today_mixed[0]
    with prefect_test_harness(server_startup_timeout=90), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        nlp, got = _fused(arts, Settings(warehouse=wh, models_dir=stanza_dir, workers=2,
                                         dask_address=cluster.scheduler_address))
    assert not nlp.failures and len(nlp.parsed_ids) + len(nlp.cached_ids) == 5 * len(items)
    assert _signature(got) == today_mixed[1]
    assert [r["entity_id"] for r in got.entities] == today_mixed[2]
    assert os.getpid() not in got.pids and 1 <= len(got.pids) <= 2, got.pids


# ------------------------------------------------ a batch's workers: started when it is read, ended with it

def test_each_batch_starts_its_workers_when_read_and_the_rows_are_those_of_one_process(
        counter_dir, stanza_dir, tmp_path, monkeypatch):
    """flows.workers.LanePool under `etl`: a batch's worker process is spawned when the batch is read (it loads its
    models while the batch is cleaned and deduplicated), serves the batch's fan-out, and is gone after the run;
    the warehouse holds the rows of workers=1."""
    import multiprocessing
    import os
    import threading
    import time

    import duckdb
    from prefect.testing.utilities import prefect_test_harness

    import flows.nlp
    from flows.pipeline import etl

    monkeypatch.setattr(flows.nlp, "TEXT_PER_EXTRA_WORKER", 1)  # 6 articles a batch would not spawn a worker
    src = tmp_path / "in.jsonl"
    with open(counter_dir / "docs.jsonl", encoding="utf-8") as fh:
        src.write_text("".join(next(fh) for _ in range(18)), encoding="utf-8")
    calls: list = []
    real = flows.nlp.run_nlp_extract

    def recorded(*args, **kwargs):  # the real function; what each batch's fan-out did is kept to look at
        called = time.perf_counter()
        nlp, out = real(*args, **kwargs)
        calls.append((kwargs.get("pool"), called, set(out.pids)))
        return nlp, out

    monkeypatch.setattr(flows.nlp, "run_nlp_extract", recorded)
    earlier = {p.pid for p in multiprocessing.active_children()}

    def events_of(wh: Path) -> list[tuple]:
        con = duckdb.connect(str(wh / "khabar.duckdb"), read_only=True)
        try:
            return con.execute("SELECT event_id, article_id, sentence_index, actor1_code, actor2_code, event_code, "
                               "modality FROM events ORDER BY ALL").fetchall()
        finally:
            con.close()

    with prefect_test_harness(server_startup_timeout=90):
        two = etl([str(src)], settings=Settings(warehouse=tmp_path / "two", models_dir=stanza_dir, workers=2,
                                                batch_size=6, nlp_batch_size=1))
        for t in threading.enumerate():
            if t.name == "khabar-pool-shutdown":
                t.join(60)
        assert not {p.pid for p in multiprocessing.active_children()} - earlier  # the workers have ended
        one = etl([str(src)], settings=Settings(warehouse=tmp_path / "one", models_dir=stanza_dir, workers=1,
                                                batch_size=6))
        before = events_of(tmp_path / "two")
        again = etl([str(src)], settings=Settings(warehouse=tmp_path / "two", models_dir=stanza_dir, workers=2,
                                                  batch_size=6, nlp_batch_size=1))
    assert again["counts"]["articles"] == 18 and events_of(tmp_path / "two") == before
    # read again, every article is a parse-cache hit: no batch starts a worker to load Stanza for nothing
    assert [pool for pool, _, _ in calls[6:]] == [None, None, None]
    del calls[6:]
    assert len(calls) == 6  # 18 articles in batches of 6: three fan-outs a run
    pools = [pool for pool, _, _ in calls[:3]]
    assert all(pool is not None for pool in pools) and len({id(p) for p in pools}) == 3  # one pool a batch
    assert all(pool.started < called for pool, called, _ in calls[:3])  # started before the batch's NLP
    assert all(pool is None for pool, _, _ in calls[3:])  # workers=1: nothing spawned
    # (whether the worker is up before this process's lane has done a batch this small depends on the machine:
    # that the fan-out takes a pool's work is test_fused_two_workers_mixed_cache_hits_give_the_rows_of_one's)
    assert all(pids >= {os.getpid()} for _, _, pids in calls)
    assert two["counts"]["articles"] == one["counts"]["articles"] == 18
    assert events_of(tmp_path / "two") == events_of(tmp_path / "one") != []


# ------------------------------------------------------------ clean: on the same lanes as the rest of the work

def test_clean_on_pool_workers_and_on_a_dask_cluster_gives_the_rows_of_one_process(counter_dir, tmp_path,
                                                                                   monkeypatch):
    """flows.clean.run_clean: the batch's `articles` rows are the same, in the same order, cleaned in this process,
    on this process + a pool worker that is up, and on a local Dask cluster of 2 worker processes (none here)."""
    from distributed import LocalCluster
    from prefect import flow
    from prefect.testing.utilities import prefect_test_harness

    import flows.clean
    from flows.nlp import pool_initargs
    from flows.workers import LanePool, result
    from tasks.ingest import RawDocument, iter_ingest

    src = tmp_path / "in.jsonl"
    with open(counter_dir / "docs.jsonl", encoding="utf-8") as fh:
        src.write_text("".join(next(fh) for _ in range(60)), encoding="utf-8")
    docs = [d for d in iter_ingest([str(src)], max_bytes=10**8) if isinstance(d, RawDocument)]
    assert len(docs) == 60
    monkeypatch.setattr(flows.clean, "MIN_DOCS_PER_CHUNK", 5)  # 60 documents: several chunks a lane

    def comparable(rows):  # ingested_at is the time of the call: one value per batch
        assert len({r["ingested_at"] for r in rows}) == 1
        return [{k: v for k, v in r.items() if k != "ingested_at"} for r in rows]

    @flow
    def clean_three_ways(address: str):
        settings = Settings(warehouse=tmp_path / "wh", workers=2)
        one = flows.clean.run_clean(docs, Settings(warehouse=tmp_path / "wh", workers=1), "r1")
        pool = LanePool(1, pool_initargs(settings, None, (), 2))  # extract-only initializer: no Stanza to load
        try:
            assert all(not isinstance(result(f), BaseException) for f in pool.starting)  # the worker is up
            lanes = flows.clean.run_clean(docs, settings, "r1", pool=pool)
        finally:
            pool.close()
        dask = flows.clean.run_clean(docs, Settings(warehouse=tmp_path / "wh", workers=2, dask_address=address), "r1")
        return one, lanes, dask

    with prefect_test_harness(server_startup_timeout=90), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        one, lanes, dask = clean_three_ways(cluster.scheduler_address)
    assert [r["article_id"] for r in one] == [r["article_id"] for r in lanes] == [r["article_id"] for r in dask]
    assert comparable(one) == comparable(lanes) == comparable(dask)
    assert len({r["article_id"] for r in one}) == 60 and all(r["text"] for r in one)
