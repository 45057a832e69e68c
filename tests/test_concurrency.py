"""Concurrency: runs started at the same time against one warehouse both finish and lose nothing (the load is
serialised by the warehouse's writer lock, <warehouse>/.load.lock, and each load is one transaction); readers
(`khabar query`, connect_readonly) cannot write, and never block a run: one held open through a whole run keeps
answering from the version it opened while the run loads and publishes a new one.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest
from filelock import FileLock

from tasks import load
from warehouse import connect_readonly

from helpers_server import REPO, base_env, count, duplicate_keys, run_khabar, shared_server, start_khabar, warehouse_content

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


def _a_partition(wh: Path) -> Path:
    return sorted((wh / "parquet" / "articles").glob("*.parquet"))[0]


@pytest.mark.slow
@pytest.mark.parametrize("sql", [
    "COPY (SELECT * FROM events) TO '{part}' (FORMAT parquet, USE_TMP_FILE false)",   # overwrite a partition
    "EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{part}' (FORMAT parquet, USE_TMP_FILE false)",
    "COPY (SELECT 1 AS x) TO '{tmp}/out.csv'", "EXPORT DATABASE '{tmp}/export'",
    "SELECT * FROM read_csv('/etc/passwd')", "SELECT * FROM read_text('/etc/hostname')", "SELECT * FROM glob('/etc/*')",
    "SELECT * FROM glob('{wh}/*')", "SELECT * FROM read_parquet('{wh}/state/writer.duckdb')",
    "ATTACH '{wh}/state/writer.duckdb' AS w", "ATTACH '{tmp}/other.duckdb' AS other",
    "INSTALL httpfs", "LOAD httpfs", "SET enable_external_access = true",
])
def test_query_cannot_reach_outside_the_warehouse(loaded: Path, tmp_path: Path, sql: str):
    before = warehouse_content(loaded)
    part = _a_partition(loaded)
    partition = part.read_bytes()
    rc, out, err = run_khabar(["query", sql.format(wh=loaded, tmp=tmp_path, part=part), "-w", str(loaded)],
                              base_env())
    assert rc == 1, out + err
    assert "error" in (out + err).lower()
    assert warehouse_content(loaded) == before and part.read_bytes() == partition
    assert list(tmp_path.iterdir()) == []


# A reader in its own process: one read-only DuckDB connection opened on the catalog and held; each line on stdin
# is a query, answered with its first value.
READER = r"""
import sys
import duckdb
con = duckdb.connect(sys.argv[1], read_only=True)
print("READY", flush=True)
for sql in sys.stdin:
    print(con.execute(sql).fetchall()[0][0], flush=True)
"""


class Reader:
    def __init__(self, wh: Path):
        self.proc = subprocess.Popen([sys.executable, "-c", READER, str(wh / "khabar.duckdb")], cwd=str(REPO),
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        assert self.proc.stdout.readline().strip() == "READY", self.proc.stderr.read()

    def ask(self, sql: str) -> str:
        self.proc.stdin.write(sql.replace("\n", " ") + "\n")
        self.proc.stdin.flush()
        answer = self.proc.stdout.readline().strip()
        assert answer, self.proc.stderr.read()
        return answer

    def close(self) -> None:
        self.proc.kill()
        self.proc.wait(30)


@pytest.mark.slow
def test_readers_held_open_through_a_whole_run_neither_block_it_nor_fail(halves, tmp_path: Path):
    """A read-only DuckDB connection in another process, and `khabar query` sessions, open on khabar.duckdb
    through a whole run: the run loads, the held reader keeps answering from the version it opened (and a join
    through a view still works), and a reader opened afterwards sees the new rows."""
    a, b = halves
    wh = tmp_path / "wh"
    rc, out, err = run_khabar(_args(a, wh), shared_server().env())
    assert rc == 0, out + err
    reader = Reader(wh)
    try:
        assert reader.ask("SELECT count(*) FROM articles") == "1"
        proc = start_khabar(_args(b, wh), shared_server().env())
        queries = 0
        while proc.proc.poll() is None:  # readers keep asking throughout the run, the load included
            assert reader.ask("SELECT count(*) FROM articles") == "1"
            assert reader.ask("SELECT count(*) FROM articles JOIN signatures USING (article_id)") == "1"
            rc, out, err = run_khabar(["query", "SELECT count(*) AS n FROM articles", "-w", str(wh), "-f", "csv"],
                                      base_env())
            assert rc == 0 and out.split()[0] == "n" and out.split()[1] in ("1", "3"), out + err
            queries += 1
        assert proc.wait(60) == 0, proc.output()
        assert queries >= 1
        assert reader.ask("SELECT count(*) FROM articles") == "1"          # the version it opened
        assert count(wh, "articles") == 3 and count(wh, "runs") == 2      # a new reader sees the new one
    finally:
        reader.close()


@pytest.mark.slow
def test_readonly_connection_refuses_writes_and_query_reads(loaded: Path):
    con = connect_readonly(loaded)
    try:
        with pytest.raises(duckdb.Error, match="read-only"):
            con.execute("CREATE TABLE scratch (a INTEGER)")
        with pytest.raises(duckdb.Error, match="base table"):  # the tables are views: DuckDB refuses at bind time
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
