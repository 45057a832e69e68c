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
    men = sorted(m["mention_id"] for m in result.mentions)
    return tok, men


@pytest.fixture(scope="module")
def reference(seeds_dir, stanza_dir, tmp_path_factory):
    settings = Settings(warehouse=tmp_path_factory.mktemp("wh"), models_dir=stanza_dir, workers=1, nlp_batch_size=1)
    return _rows(run_nlp(_articles(seeds_dir), settings, "ref"))


def test_process_pool_matches_in_process(seeds_dir, stanza_dir, tmp_path, reference):
    # 3 articles, chunks of 1, 2 worker processes: at least one worker parses two chunks.
    settings = Settings(warehouse=tmp_path / "wh", models_dir=stanza_dir, workers=2, nlp_batch_size=1)
    result = run_nlp(_articles(seeds_dir), settings, "pool")
    assert not result.failures and len(result.parsed_ids) == 3
    assert _rows(result) == reference
    loads = result.fresh.pipeline_loads
    assert 1 <= len(loads) <= 2, loads  # at most 2 worker processes did the work
    assert all(n == 1 for n in loads.values()), loads  # each loaded the pipeline exactly once
    import os
    assert os.getpid() not in loads  # parsing ran in the workers, not here


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
