"""Crash safety: a `khabar run` killed hard (SIGKILL of its whole process group) at any point, then run again,
leaves exactly the warehouse one uninterrupted run leaves.

"Exactly" = every data table (all but `runs`), every row, every id and content column; only the columns naming
the run/time that first wrote a row (run_id, ingested_at, seen_at, quarantined_at, parsed_at) may differ, and
the paths are compared relative to the warehouse. Plus: no duplicate keys, and read_snapshot matches the catalog.

What is covered, honestly:
- kills between stages (after a stage's log line) and after everything is staged but before the load: exact;
- kills inside an open load transaction and between the load's COMMIT and its catalog publish: exact and
  deterministic, by a helper process that runs the loader's own steps (tasks/load.py) on a crashed run's staging
  and is killed at that point (the pipeline has no test hooks);
- kills of a real run "somewhere in the load" at a few delays after staging completes: the moment hit is not
  deterministic (the load of a few articles takes milliseconds), but every outcome must be consistent;
- one kill of a full pipeline run (during NLP) when the NLP stages are present.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import schemas
from tasks import load
from warehouse import read_snapshot

from helpers_server import (REPO, count, duplicate_keys, run_khabar, shared_server, start_khabar,
                            warehouse_content)

pytestmark = pytest.mark.slow

UNTIL = "dedup"  # crash tests of the load path do not need NLP (2 shared cores); one full-pipeline test below


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, seeds_dir: Path) -> Path:
    """The seeds plus two files that are quarantined (so quarantine rows and stored bytes are covered too)."""
    folder = tmp_path_factory.mktemp("inputs")
    for src in sorted(seeds_dir.glob("*.txt")):
        shutil.copy(src, folder / src.name)
    (folder / "empty.txt").write_bytes(b"")
    (folder / "binary.txt").write_bytes(bytes(range(256)) * 8)
    return folder


def _run(inputs: Path, wh: Path, until: str = UNTIL) -> None:
    rc, out, err = run_khabar(["run", str(inputs), "-w", str(wh), "--until", until], shared_server().env())
    assert rc == 0, out + err


@pytest.fixture(scope="module")
def reference(tmp_path_factory, inputs: Path) -> Path:
    wh = tmp_path_factory.mktemp("reference") / "wh"
    _run(inputs, wh)
    return wh


def _staged_runs(wh: Path) -> list[Path]:
    return sorted(p.parent.parent for p in (wh / "staging").glob("*/runs/main.parquet"))


def _kill_when(inputs: Path, wh: Path, condition, until: str = UNTIL, delay: float = 0.0,
               timeout: float = 300) -> bool:
    """Start a run, SIGKILL its process group once `condition(proc)` holds (+delay). False if it finished first."""
    proc = start_khabar(["run", str(inputs), "-w", str(wh), "--until", until], shared_server().env())
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            if condition(proc):
                if delay:
                    time.sleep(delay)
                proc.kill()
                return True
            if proc.proc.poll() is not None:
                return False
            time.sleep(0.005)
        raise TimeoutError(proc.output())
    finally:
        if proc.proc.poll() is None:
            proc.kill()


def _logged(marker: str):
    return lambda proc: any(marker in line for line in list(proc.stderr))


def _assert_consistent(wh: Path) -> bool:
    """After a crash: the DB opens and holds either all of the crashed run or none of it. Returns 'loaded'."""
    runs, articles = count(wh, "runs"), count(wh, "articles")
    assert (runs == 0) == (articles == 0), (runs, articles)
    if runs:
        assert count(wh, "source_files") == 5 and count(wh, "signatures") == articles
    assert set(duplicate_keys(wh).values()) == {0}
    return bool(runs)


def _assert_same_as_reference(wh: Path, reference: Path) -> None:
    assert warehouse_content(wh) == warehouse_content(reference)
    assert set(duplicate_keys(wh).values()) == {0}
    for table in schemas.TABLES:  # snapshots describe the same data as the DB
        assert read_snapshot(wh, table).num_rows == count(wh, table), table


def test_reference_run_has_content(reference: Path):
    content = warehouse_content(reference)
    assert len(content["articles"]) == 3 and len(content["signatures"]) == 3
    assert len(content["source_files"]) == 5
    assert sorted(r[2] for r in content["quarantine"]) == ["ingest", "ingest"]


@pytest.mark.parametrize("marker", ["ingest: ", "clean: ", "dedup: "])
def test_killed_between_stages_then_rerun(inputs: Path, reference: Path, tmp_path: Path, marker: str):
    wh = tmp_path / "wh"
    assert _kill_when(inputs, wh, _logged(marker)), "run finished before the kill"
    assert not _assert_consistent(wh)  # nothing of it was loaded
    _run(inputs, wh)
    _assert_same_as_reference(wh, reference)


def _crash_after_staging(inputs: Path, wh: Path) -> Path:
    """A run killed once everything is staged and before its load committed; returns its staging folder."""
    for _ in range(5):
        if wh.exists():
            shutil.rmtree(wh)
        assert _kill_when(inputs, wh, lambda proc: bool(_staged_runs(wh)))
        if not _assert_consistent(wh) and _staged_runs(wh):
            return _staged_runs(wh)[0]
    pytest.fail("could not kill a run between staging and load in 5 tries")


def test_killed_after_staging_before_load_then_rerun(inputs: Path, reference: Path, tmp_path: Path):
    wh = tmp_path / "wh"
    leftover = _crash_after_staging(inputs, wh)
    _run(inputs, wh)
    _assert_same_as_reference(wh, reference)
    assert leftover.exists()  # the crashed run's staging stays until cleanup_stale_staging; it is never loaded


# A stand-in for the load task's process, running the loader's own steps from tasks/load.py, then waiting to be
# killed: `open` = inside the open transaction (all tables and partition files written, no COMMIT), `committed` =
# after COMMIT and before the readers' catalog is published. It holds the writer file lock like load_run does.
LOADER = r"""
import sys, time
from pathlib import Path
from filelock import FileLock
from tasks import load
from warehouse import storage

wh, run_id, point = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
lock = FileLock(str(wh / load.LOCK_NAME))
lock.acquire()
con = storage.open_writer(wh)
con.execute("BEGIN TRANSACTION")
load.load_staged(con, wh, run_id)
inside = con.execute("SELECT count(*) FROM articles").fetchall()[0][0]
if point == "committed":
    con.execute("COMMIT")
print("READY", inside, flush=True)
time.sleep(600)
"""


def _kill_loader_at(wh: Path, run_id: str, point: str) -> int:
    proc = subprocess.Popen([sys.executable, "-c", LOADER, str(wh), run_id, point], cwd=str(REPO),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        line = proc.stdout.readline()
        assert line.startswith("READY"), line + proc.stderr.read()
        return int(line.split()[1])
    finally:
        proc.kill()
        proc.wait(30)


@pytest.mark.parametrize("point", ["open", "committed"])
def test_load_killed_inside_its_transaction_or_before_snapshots(inputs: Path, reference: Path, tmp_path: Path,
                                                                point: str):
    wh = tmp_path / "wh"
    staging = _crash_after_staging(inputs, wh)
    assert _kill_loader_at(wh, staging.name, point) == 3  # the transaction did hold the rows when killed
    assert count(wh, "articles") == 0 and count(wh, "runs") == 0  # readers still see the last published version
    _assert_consistent(wh)
    orphans = sorted((wh / "parquet").glob("*/*.parquet"))  # written inside the transaction
    assert orphans
    load.init_warehouse(wh)  # what the next run does first: recovery, then a catalog of what is committed
    if point == "open":  # rolled back by DuckDB's recovery; its partition files are never listed, and removed
        assert count(wh, "articles") == 0 and count(wh, "runs") == 0
        assert not any(p.exists() for p in orphans)
    else:  # durable (WAL), and published by the next writer
        assert count(wh, "articles") == 3 and count(wh, "runs") == 1
        assert read_snapshot(wh, "articles").num_rows == 3
    _assert_consistent(wh)
    _run(inputs, wh)  # the killed loader's file lock was released with its process: the re-run is not blocked
    _assert_same_as_reference(wh, reference)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.15, 0.3])
def test_real_run_killed_around_its_load_then_rerun(inputs: Path, reference: Path, tmp_path: Path, delay: float):
    wh = tmp_path / "wh"
    killed = _kill_when(inputs, wh, lambda proc: bool(_staged_runs(wh)), delay=delay)
    loaded = _assert_consistent(wh)
    print(f"delay {delay}: killed={killed}, crashed run loaded={loaded}")
    _run(inputs, wh)
    _assert_same_as_reference(wh, reference)


def test_full_pipeline_killed_during_nlp_then_rerun(inputs: Path, tmp_path: Path):
    """The whole pipeline (Stanza NLP, linking, events): killed while NLP runs, re-run, same warehouse."""
    reference = tmp_path / "reference"
    _run(inputs, reference, until="load")
    assert count(reference, "sentences") > 0 and count(reference, "mentions") > 0
    wh = tmp_path / "wh"
    # NLP starts after dedup's log line; a couple of seconds later it is loading models or parsing.
    assert _kill_when(inputs, wh, _logged("dedup: "), until="load", delay=2.0), "run finished before the kill"
    assert not _assert_consistent(wh)
    _run(inputs, wh, until="load")
    _assert_same_as_reference(wh, reference)
