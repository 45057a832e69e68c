"""Concurrency: runs started at the same time against one warehouse both finish and lose nothing (the load is
serialised by the warehouse's writer lock, <warehouse>/.load.lock, and each load is one transaction); readers
(`khabar query`, connect_readonly) cannot write.
"""
from __future__ import annotations

import shutil
import time
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from tasks import load
from warehouse import connect_readonly

from helpers_server import base_env, count, duplicate_keys, run_khabar, shared_server, start_khabar, warehouse_content

UNTIL = "dedup"


@pytest.fixture(scope="module")
def halves(tmp_path_factory, seeds_dir: Path) -> tuple[Path, Path]:
    """Two disjoint input folders: the first seed, and the other two."""
    root = tmp_path_factory.mktemp("halves")
    a, b = root / "a", root / "b"
    a.mkdir()
    b.mkdir()
    for i, src in enumerate(sorted(seeds_dir.glob("*.txt"))):
        shutil.copy(src, (a if i == 0 else b) / src.name)
    return a, b


def _args(inputs: Path, wh: Path, *extra: str) -> list[str]:
    return ["run", str(inputs), "-w", str(wh), "--until", UNTIL, *extra]


def _together(*arg_lists: list[str], timeout: float = 600) -> list[tuple[int, str, str]]:
    env = shared_server().env()
    procs = [start_khabar(args, env) for args in arg_lists]
    results = []
    for p in procs:
        rc = p.wait(timeout)
        time.sleep(0.2)
        results.append((rc, "".join(p.stdout), "".join(p.stderr)))
    return results


@pytest.mark.slow
def test_two_runs_with_different_inputs_at_once_lose_nothing(halves, tmp_path: Path):
    a, b = halves
    sequential = tmp_path / "sequential"
    for inputs in (a, b):
        rc, out, err = run_khabar(_args(inputs, sequential), shared_server().env())
        assert rc == 0, out + err

    wh = tmp_path / "wh"  # both runs also race to create the empty warehouse
    for rc, out, err in _together(_args(a, wh, "--quiet"), _args(b, wh, "--quiet")):
        assert rc == 0, out + err
        assert out == ""  # --quiet: nothing on stdout
        assert "INFO" not in err  # ... and no Prefect INFO chatter
    assert count(wh, "runs") == 2
    assert warehouse_content(wh) == warehouse_content(sequential)
    assert len(warehouse_content(wh)["articles"]) == 3
    assert set(duplicate_keys(wh).values()) == {0}


@pytest.mark.slow
def test_two_runs_with_the_same_input_at_once_give_one_runs_worth(seeds_dir: Path, tmp_path: Path):
    single = tmp_path / "single"
    rc, out, err = run_khabar(_args(seeds_dir, single), shared_server().env())
    assert rc == 0, out + err

    wh = tmp_path / "wh"
    load.init_warehouse(wh)
    for rc, out, err in _together(_args(seeds_dir, wh, "--json"), _args(seeds_dir, wh, "--json")):
        assert rc == 0, out + err
    assert count(wh, "runs") == 2
    assert warehouse_content(wh) == warehouse_content(single)
    assert set(duplicate_keys(wh).values()) == {0}


@pytest.mark.slow
def test_writers_wait_for_the_warehouse_lock(seeds_dir: Path, tmp_path: Path):
    """While someone holds the writer lock, a run cannot write; it completes once the lock is free."""
    wh = tmp_path / "wh"
    load.init_warehouse(wh)
    lock = FileLock(str(wh / load.LOCK_NAME))
    lock.acquire()
    try:
        proc = start_khabar(_args(seeds_dir, wh), shared_server().env())
        deadline = time.monotonic() + 120
        while not any("Beginning flow run" in line for line in list(proc.stderr)):
            assert proc.proc.poll() is None and time.monotonic() < deadline, proc.output()
            time.sleep(0.1)
        time.sleep(3)
        assert proc.proc.poll() is None, proc.output()  # blocked on the lock, not finished or failed
        assert count(wh, "articles") == 0
    finally:
        lock.release()
    assert proc.wait(300) == 0, proc.output()
    assert count(wh, "articles") == 3


@pytest.fixture(scope="module")
def loaded(tmp_path_factory, seeds_dir: Path) -> Path:
    wh = tmp_path_factory.mktemp("loaded") / "wh"
    rc, out, err = run_khabar(_args(seeds_dir, wh), shared_server().env())
    assert rc == 0, out + err
    return wh


@pytest.mark.slow
@pytest.mark.parametrize("sql", ["DELETE FROM articles", "INSERT INTO runs (run_id, started_at) VALUES ('x', now())",
                                 "CREATE TABLE scratch (a INTEGER)", "DROP VIEW event_summary",
                                 "UPDATE articles SET title = 'x'"])
def test_query_cannot_write(loaded: Path, sql: str):
    before = warehouse_content(loaded)
    rc, out, err = run_khabar(["query", sql, "-w", str(loaded)], base_env())
    assert rc == 1, out + err
    assert "read-only" in (out + err).lower()
    assert warehouse_content(loaded) == before


@pytest.mark.slow
@pytest.mark.parametrize("sql", [
    "COPY (SELECT * FROM events) TO '{wh}/parquet/events.parquet' (FORMAT parquet)",   # overwrite a snapshot
    "COPY (SELECT 1 AS x) TO '{tmp}/out.csv'", "EXPORT DATABASE '{tmp}/export'",
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM read_parquet('{wh}/parquet/events.parquet')", "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs", "LOAD httpfs", "SET enable_external_access = true",
])
def test_query_cannot_reach_outside_the_warehouse(loaded: Path, tmp_path: Path, sql: str):
    before = warehouse_content(loaded)
    snapshot = (loaded / "parquet" / "events.parquet").read_bytes()
    rc, out, err = run_khabar(["query", sql.format(wh=loaded, tmp=tmp_path), "-w", str(loaded)], base_env())
    assert rc == 1, out + err
    assert "error" in (out + err).lower()
    assert warehouse_content(loaded) == before and (loaded / "parquet" / "events.parquet").read_bytes() == snapshot
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_readonly_connection_refuses_writes_and_query_reads(loaded: Path):
    con = connect_readonly(loaded)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("DELETE FROM articles")
        assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 3
    finally:
        con.close()
    rc, out, err = run_khabar(["query", "SELECT count(*) AS n FROM articles", "-w", str(loaded), "--format", "csv"],
                              base_env())
    assert rc == 0 and out.split() == ["n", "3"], out + err


@pytest.mark.slow
def test_query_says_when_the_table_is_cut(loaded: Path):
    rc, out, err = run_khabar(["query", "SELECT * FROM range(5)", "-w", str(loaded), "--max-rows", "3"], base_env())
    assert rc == 0 and "first 3 rows shown" in out + err, out + err
    rc, out, err = run_khabar(["query", "SELECT * FROM range(3)", "-w", str(loaded), "--max-rows", "3"], base_env())
    assert rc == 0 and "rows shown" not in out + err, out + err
