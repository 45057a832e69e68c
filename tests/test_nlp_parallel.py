"""NLP stage in parallel: Prefect's ProcessPoolTaskRunner and prefect_dask on a local Dask cluster.

Both must give exactly the rows the in-process run gives, and load the Stanza pipeline once per worker
process (never per article or per chunk). Real models, real Prefect API, real processes.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from flows.nlp import run_nlp
from khabar.config import Settings

pytestmark = pytest.mark.slow


def _articles(seeds_dir: Path) -> list[dict]:
    return [{"article_id": p.stem, "text": p.read_text(encoding="utf-8"), "language": "ur",
             "content_hash": "h-" + p.stem} for p in sorted(seeds_dir.glob("*.txt"))]


def _rows(result) -> tuple:
    tok = sorted((t["article_id"], t["sentence_index"], t["token_index"], t["start_char"], t["upos"], t["head"],
                  t["deprel"], t["ner"]) for t in result.tokens)
    men = sorted((m["article_id"], m["start_char"], m["end_char"], m["ner_label"]) for m in result.mentions)
    return tok, men


@pytest.fixture(scope="module")
def reference(seeds_dir, stanza_dir, tmp_path_factory):
    settings = Settings(warehouse=tmp_path_factory.mktemp("wh"), models_dir=stanza_dir, workers=1, nlp_batch_size=1)
    return _rows(run_nlp(_articles(seeds_dir), settings, "ref"))


def test_process_pool_matches_in_process(seeds_dir, stanza_dir, tmp_path, reference, monkeypatch):
    # 8 copies of the 3 seeds, one article per chunk: this process starts parsing at once and the spawned
    # worker joins once it has loaded its models (seconds), so both lanes parse some of the 24 chunks.
    import os

    import flows.nlp
    import tasks.nlp as nlp_mod

    monkeypatch.setattr(flows.nlp, "TEXT_PER_EXTRA_WORKER", 1)  # 24 short articles would not spawn a worker

    copies = _copies(seeds_dir, 8)
    loads_before = nlp_mod.PIPELINE_LOADS
    settings = Settings(warehouse=tmp_path / "wh", models_dir=stanza_dir, workers=2, nlp_batch_size=1)
    result = run_nlp(copies, settings, "pool")
    assert not result.failures and len(result.parsed_ids) == 24
    tok, men = _rows(result)
    for k in range(8):  # every copy parsed exactly like the in-process reference
        for got, want in ((tok, reference[0]), (men, reference[1])):
            assert [r for r in got if r[0].endswith(f"#{k}")] == [(r[0] + f"#{k}",) + r[1:] for r in want]
    loads = result.fresh.pipeline_loads
    workers = {pid: n for pid, n in loads.items() if pid != os.getpid()}
    assert len(workers) == 1, loads  # workers=2: this process plus one spawned worker process
    assert all(n == 1 for n in workers.values()), loads  # the worker loaded the pipeline exactly once
    assert loads.get(os.getpid(), loads_before) - loads_before <= 1, loads  # and this process at most once


def _copies(seeds_dir: Path, n: int) -> list[dict]:
    return [{**a, "article_id": f"{a['article_id']}#{k}", "content_hash": f"{a['content_hash']}#{k}"}
            for k in range(n) for a in _articles(seeds_dir)]


def test_a_killed_worker_fails_only_its_chunks_and_this_process_parses_the_rest(seeds_dir, stanza_dir, tmp_path,
                                                                                 monkeypatch):
    # The worker is killed once 16 of the 24 chunks are done: by then it has normally been parsing for a
    # while and holds one or two chunks (those fail); on a slow machine it may still be starting (nothing fails).
    import multiprocessing
    import os
    import signal

    import flows.nlp
    from flows import progress

    monkeypatch.setattr(flows.nlp, "TEXT_PER_EXTRA_WORKER", 1)  # 24 short articles would not spawn a worker
    earlier = {p.pid for p in multiprocessing.active_children()}  # e.g. a pool still shutting down
    killed: list[int] = []

    def kill_the_worker(stage: str, info: dict) -> None:
        done, _total = info.get(progress.ITEMS, (0, 0))
        workers = [p.pid for p in multiprocessing.active_children() if p.pid not in earlier]
        if stage == "nlp" and done >= 16 and workers and not killed:
            os.kill(workers[0], signal.SIGKILL)
            killed.append(workers[0])

    copies = _copies(seeds_dir, 8)
    settings = Settings(warehouse=tmp_path / "wh", models_dir=stanza_dir, workers=2, nlp_batch_size=1)
    progress.add_listener(kill_the_worker)
    try:
        result = run_nlp(copies, settings, "killed")
    finally:
        progress.remove_listener(kill_the_worker)
    assert killed, "no worker process to kill"
    failed = {f["article_id"] for f in result.failures}
    assert len(failed) <= 2, failed  # at most the two chunks (one article each) the worker held
    if killed[0] in result.fresh.pipeline_loads:  # it had returned chunks, so it held one when killed
        assert failed
    assert all(result.statuses[a][0] == "failed" and result.statuses[a][1].startswith("nlp_error") for a in failed)
    assert sorted(q["source_path"] for q in result.quarantine) == sorted(f"article:{a}" for a in failed)
    assert set(result.parsed_ids) == {a["article_id"] for a in copies} - failed  # this process parsed the rest


def test_dask_local_cluster(seeds_dir, stanza_dir, tmp_path, reference):
    from distributed import LocalCluster
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=90), \
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        settings = Settings(warehouse=tmp_path / "wh", models_dir=stanza_dir, workers=2, nlp_batch_size=1,
                            dask_address=cluster.scheduler_address)
        result = run_nlp(_articles(seeds_dir), settings, "dask")
    assert not result.failures and len(result.parsed_ids) == 3
    assert _rows(result) == reference
    loads = result.fresh.pipeline_loads
    assert 1 <= len(loads) <= 2 and all(n == 1 for n in loads.values()), loads
