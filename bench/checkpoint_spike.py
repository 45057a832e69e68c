"""The writer's checkpoint spike, in plain DuckDB (docs/performance.md, Growth at N = 100,000, "Load").

    python bench/checkpoint_spike.py DIR [--start 110000] [--loads 10] [--row-group-size N]

A table shaped like the writer's `articles` (two ~5 kB strings a row) holding --start rows; then --loads
appends of 2,000 rows, each in its own transaction and connection, as `tasks.load.load_run` does. DuckDB
checkpoints when the connection closes; printed per append: the close's seconds and the process's peak RSS
during it (VmHWM, reset before). Measured at 25e7190 (DuckDB 2.0.0, memory_limit 512MB): most closes 0.17-0.58 s
and +10..+80 MB, every 4th ~1.2 s and +140 MB, and the append that crosses 122,880 rows (DuckDB's row group)
21.5 s and +470 MB. With --row-group-size 16384 the largest was 7.5 s and +457 MB (at 114,000 -> 116,000);
with --set "force_compression='zstd'" 1.8 s and +467 MB; with --set threads=1 20.0 s and +466 MB.
Writes ~1.3 GB under DIR. --keys-only: the table holds the key column only, as the writer's tables have since
2026-12-01 (the rows live in the Parquet partitions alone).
"""
from __future__ import annotations

import argparse
import time
from pathlib import Path

import duckdb

ROWS = ("SELECT md5(i::VARCHAR), repeat(md5(i::VARCHAR) || md5((i * 7)::VARCHAR), 80), "
        "repeat(md5((i + 3)::VARCHAR), 150), i FROM range({lo}, {hi}) t(i)")
KEYS = "SELECT md5(i::VARCHAR) FROM range({lo}, {hi}) t(i)"


def hwm_mb() -> int:
    with open("/proc/self/status", encoding="ascii") as fh:
        return next(int(line.split()[1]) for line in fh if line.startswith("VmHWM")) // 1024


def reset_hwm() -> None:
    with open("/proc/self/clear_refs", "w", encoding="ascii") as fh:
        fh.write("5")


def connect(path: Path, row_group_size: int | None) -> duckdb.DuckDBPyConnection:
    if not row_group_size:
        return duckdb.connect(str(path))
    con = duckdb.connect()
    con.execute(f"ATTACH '{path}' AS w (ROW_GROUP_SIZE {int(row_group_size)})")
    con.execute("USE w")
    return con


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir", type=Path)
    ap.add_argument("--start", type=int, default=110_000)
    ap.add_argument("--loads", type=int, default=10)
    ap.add_argument("--step", type=int, default=2_000)
    ap.add_argument("--row-group-size", type=int)
    ap.add_argument("--memory-limit", default="512MB")
    ap.add_argument("--set", action="append", default=[], help="a DuckDB setting for each load, e.g. threads=1")
    ap.add_argument("--keys-only", action="store_true", help="the table holds the key column only")
    args = ap.parse_args()
    rows = KEYS if args.keys_only else ROWS
    args.dir.mkdir(parents=True, exist_ok=True)
    path = args.dir / "checkpoint_spike.duckdb"
    if not path.exists():
        con = connect(path, args.row_group_size)
        con.execute("CREATE TABLE a (id VARCHAR)" if args.keys_only else
                    "CREATE TABLE a (id VARCHAR, text VARCHAR, raw VARCHAR, k BIGINT)")
        con.execute("INSERT INTO a " + rows.format(lo=0, hi=args.start))
        con.close()
    for _ in range(args.loads):
        con = connect(path, args.row_group_size)
        con.execute(f"SET memory_limit = '{args.memory_limit}'")
        for setting in args.set:
            con.execute(f"SET {setting}")
        n = con.execute("SELECT count(*) FROM a").fetchall()[0][0]
        con.execute("BEGIN TRANSACTION")
        con.execute("INSERT INTO a " + rows.format(lo=n, hi=n + args.step))
        con.execute("COMMIT")
        before = hwm_mb()
        reset_hwm()
        started = time.perf_counter()
        con.close()
        print(f"rows {n:,} -> {n + args.step:,}: close (checkpoint) {time.perf_counter() - started:.3f} s, "
              f"peak RSS {before} MB before, {hwm_mb()} MB during", flush=True)
        reset_hwm()


if __name__ == "__main__":
    main()
