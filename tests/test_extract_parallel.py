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
