"""Storage of a warehouse: the writer's private state, append-only Parquet partitions, the readers' catalog.

  DIR/state/writer.duckdb   the loader's own tables, each table's key columns only (schemas.key_columns: all a
                            load decides by), and the list of partitions (_partitions); only the loader opens
                            it, under DIR/.load.lock
  DIR/parquet/<table>/<seq>-<run_id>.parquet             rows one load inserted or replaced; never rewritten
  DIR/parquet/<table>/<seq>-<run_id>.tombstones.parquet  keys of the rows that load deleted or replaced
  DIR/khabar.duckdb         what readers open: a small catalog of views over the live partitions, written to a
                            temporary file and renamed into place after each load (an open reader keeps the
                            version it opened, a new one sees the new one; nobody ever holds a lock a writer needs)

A table's view is its rows minus those a later tombstone names: a row written by load s survives unless a
tombstone of its key comes from a load t > s. Every load that deletes or replaces a row writes its key as a
tombstone, so at most one version of a key is visible, and the views hold the writer's keys. The rows themselves
are only in the partitions (compaction reads them there).
The views name partition files by absolute path; when the folder moves, the next khabar command that opens it
(any read or load) publishes the catalog again with the new paths.
"""
from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import schemas
from schemas.tables import duck_type
from warehouse import DB_NAME, db_path, view_sql

WRITER_NAME = "writer.duckdb"
CATALOG_META = "_khabar_catalog"   # one row: the folder the views point into, the last load's sequence number
CATALOG_FILES = "_khabar_files"    # every file the views read: what a sealed reader is allowed to open
PARTITIONS_DDL = """CREATE TABLE _partitions (
  file VARCHAR PRIMARY KEY,       -- relative to the warehouse folder
  table_name VARCHAR NOT NULL,
  seq BIGINT NOT NULL,            -- the load (or compaction) that wrote it
  kind VARCHAR NOT NULL,          -- rows | tombstones
  run_id VARCHAR,
  num_rows BIGINT NOT NULL,
  bytes BIGINT NOT NULL,
  columns VARCHAR NOT NULL,       -- comma-separated, as written (older partitions lack columns added later)
  obsolete_since TIMESTAMPTZ      -- set by compaction; the file is deleted by a later compaction
)"""


# DuckDB's memory limit for a load (tasks.load.load_run); DuckDB spills past it where it can. Without one, the
# checkpoint that ends a load now and then rewrote a table's column segments all in memory (DuckDB's default
# allows 80 % of RAM): the run's peak rose by up to +990 MB at every 32nd load of 2,000 articles (+450 at every
# 16th; docs/performance.md, Size). A load that needs more (a very large batch) is done again without the cap.
# Compaction runs under the same cap (it writes row groups of at most ~16 MB: COMPACT_COPY_OPTIONS).
# KHABAR_WRITER_MEMORY_LIMIT overrides it (any DuckDB size: '2GB').
WRITER_MEMORY_LIMIT = "512MB"


def writer_memory_limit() -> str:
    return os.environ.get("KHABAR_WRITER_MEMORY_LIMIT") or WRITER_MEMORY_LIMIT


class WarehouseStateMissing(RuntimeError):
    pass


def writer_path(warehouse: Path) -> Path:
    return Path(warehouse) / "state" / WRITER_NAME


def partition_dir(warehouse: Path, table: str) -> Path:
    return Path(warehouse) / "parquet" / table


def old_snapshot_path(warehouse: Path, table: str) -> Path:
    """Where versions before partitions kept a whole-table snapshot (removed when such a warehouse is migrated)."""
    return Path(warehouse) / "parquet" / f"{table}.parquet"


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write to a temporary file in the same directory, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    _fsync_and_rename(tmp, path)
    return path


def _fsync_and_rename(tmp: Path, path: Path) -> None:
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def _quote(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


# ---------------------------------------------------------------- the writer's state

def ensure_schema(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The writer's tables: each holds a table's key columns only (schemas.key_columns), all a load decides by;
    the rows themselves are in the partitions. An older writer state (whole rows, or a PRIMARY KEY) is rebuilt
    to that, once. Call it after _first_partitions has copied an adopted warehouse's rows out. Returns the tables
    rebuilt."""
    for name, _ in view_sql():   # older writer states had the user views too; nothing reads them here
        con.execute(f"DROP VIEW IF EXISTS {name}")
    keyed = {r[0] for r in con.execute("SELECT table_name FROM duckdb_constraints() WHERE constraint_type = "
                                       "'PRIMARY KEY' AND database_name = current_database()").fetchall()}
    rebuilt = []
    for name in schemas.TABLES:
        keys = schemas.key_columns(name)
        if not _has_table(con, name):
            con.execute(schemas.ddl(name, with_primary_key=False, columns=keys))
        elif name in keyed or set(_columns(con, name)) != set(keys):
            _keep_only_keys(con, name)
            rebuilt.append(name)
    return rebuilt


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ? "
                                      "ORDER BY ordinal_position", [name]).fetchall()]


def _keep_only_keys(con: duckdb.DuckDBPyConnection, name: str) -> None:
    """Rebuild a writer table of whole rows (before 2026-12-01), or with a PRIMARY KEY (before 2026-12), as its
    key columns without a constraint. Whole rows: a DuckDB checkpoint that recompressed a full row group of
    articles (122,880 texts) took 3 s and +443 MB inside a load (docs/performance.md, Growth). A PRIMARY KEY is an
    ART index each insert loads whole: a load's memory grew with the table (signature_bands of 100,000 articles:
    +190 MB for a batch of 2,000). DuckDB cannot drop a constraint or shrink a table in place, so the keys move
    to a new table. The rows stay in the partitions, which a load never rewrote."""
    keys = ", ".join(f'"{k}"' for k in schemas.key_columns(name))
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"DROP TABLE IF EXISTS _rebuild_{name}")
        con.execute(schemas.ddl(name, with_primary_key=False, table=f"_rebuild_{name}",
                                columns=schemas.key_columns(name)))
        con.execute(f"INSERT INTO _rebuild_{name} ({keys}) SELECT {keys} FROM {name}")
        con.execute(f"DROP TABLE {name}")
        con.execute(f"ALTER TABLE _rebuild_{name} RENAME TO {name}")
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _has_table(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(con.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ? "
                            "AND table_type = 'BASE TABLE'", [name]).fetchall()[0][0])


def _adopt_old_database(warehouse: Path) -> None:
    """A warehouse written before partitions keeps its tables in khabar.duckdb: that file becomes the writer's
    state (renamed, so nothing is copied). A catalog without writer state cannot be turned back into tables."""
    old = db_path(warehouse)
    if not old.exists():
        return
    wal = old.with_name(old.name + ".wal")
    con = duckdb.connect(str(old), read_only=not wal.exists())
    try:
        if _has_table(con, CATALOG_META):
            raise WarehouseStateMissing(
                f"{writer_path(warehouse)} is missing: {old} only holds views over the partitions. Restore the "
                f"state folder, or start a new warehouse")
        if wal.exists():
            con.execute("CHECKPOINT")  # the rename below must carry every committed row
    finally:
        con.close()
    writer_path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    os.replace(old, writer_path(warehouse))


def open_writer(warehouse: Path) -> duckdb.DuckDBPyConnection:
    """The writer's state, ready to load into. The caller holds the warehouse's writer lock.

    Migrates an older warehouse on first use: its tables become the writer's state and each table's rows its
    first partition. Partition files a crashed load left behind (never committed) are removed."""
    warehouse = Path(warehouse)
    if not writer_path(warehouse).exists():
        _adopt_old_database(warehouse)
    writer_path(warehouse).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(writer_path(warehouse)))
    try:
        if not _has_table(con, "_partitions"):
            _first_partitions(con, warehouse)
        if ensure_schema(con):
            con.close()
            _rewrite_writer_file(warehouse)
            con = duckdb.connect(str(writer_path(warehouse)))
        _remove_uncommitted_files(con, warehouse)
    except BaseException:
        con.close()
        raise
    return con


def _rewrite_writer_file(warehouse: Path) -> None:
    """Copy the writer's state into a new file and rename it over the old one, once, after ensure_schema rebuilt
    tables: DuckDB reuses a dropped table's blocks but never shrinks its file (a 100,000-article warehouse's
    writer state kept 1.4 GB for 218 MB of keys)."""
    path = writer_path(warehouse)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    con = duckdb.connect()
    try:
        con.execute(f"ATTACH {_quote(path)} AS old_state (READ_ONLY)")
        con.execute(f"ATTACH {_quote(tmp)} AS new_state")
        con.execute("COPY FROM DATABASE old_state TO new_state")
        con.execute("DETACH new_state")
    finally:
        con.close()
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    _fsync_and_rename(tmp, path)


def _first_partitions(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    """One transaction: the partition list, and a first partition of every table an adopted warehouse has rows
    in, with the columns it has (a column it lacks reads as NULL: the partition lists its columns)."""
    con.execute("BEGIN TRANSACTION")
    con.execute(PARTITIONS_DDL)
    for name in schemas.TABLES:
        if _has_table(con, name):
            have = set(_columns(con, name))
            cols = ", ".join(f'"{c}"' for c in schemas.schema(name).names if c in have)
            write_partition(con, warehouse, name, 1, "migrated", f"SELECT {cols} FROM {name}")
    con.execute("COMMIT")
    for name in schemas.TABLES:
        old_snapshot_path(warehouse, name).unlink(missing_ok=True)


def _remove_uncommitted_files(con: duckdb.DuckDBPyConnection, warehouse: Path) -> None:
    known = {r[0] for r in con.execute("SELECT file FROM _partitions").fetchall()}
    root = Path(warehouse) / "parquet"
    for path in root.glob("*/*.parquet"):
        if path.relative_to(warehouse).as_posix() not in known:
            path.unlink(missing_ok=True)
    for tmp in root.glob("*/.*.tmp"):
        tmp.unlink(missing_ok=True)


def next_seq(con: duckdb.DuckDBPyConnection) -> int:
    return con.execute("SELECT coalesce(max(seq), 1) + 1 FROM _partitions").fetchall()[0][0]


def _safe(run_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", run_id)


def write_partition(con: duckdb.DuckDBPyConnection, warehouse: Path, table: str, seq: int, run_id: str,
                    select_sql: str, kind: str = "rows", options: str = "") -> int:
    """Write the rows of ``select_sql`` (the table's columns, or for tombstones its primary key) as a new
    partition file and list it in _partitions (inside the caller's transaction). Nothing is written for no rows.
    ``options``: more COPY options (e.g. row-group sizes).

    DuckDB's COPY streams the rows to Parquet: a compaction of millions of rows never holds them as Arrow."""
    suffix = ".tombstones.parquet" if kind == "tombstones" else ".parquet"
    path = partition_dir(warehouse, table) / f"{seq:010d}-{_safe(run_id)}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    written = con.execute(f"COPY (SELECT *, {int(seq)}::BIGINT AS _seq FROM ({select_sql})) TO {_quote(tmp)} "
                          f"(FORMAT parquet, COMPRESSION zstd{', ' + options if options else ''})").fetchall()[0][0]
    if not written:
        tmp.unlink(missing_ok=True)
        return 0
    columns = ",".join(pq.read_schema(tmp).names[:-1])
    _fsync_and_rename(tmp, path)
    con.execute("INSERT OR REPLACE INTO _partitions VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL)",
                [path.relative_to(warehouse).as_posix(), table, seq, kind, run_id, written, path.stat().st_size,
                 columns])
    return written


# ---------------------------------------------------------------- the readers' catalog

@dataclass
class _Part:
    path: Path
    kind: str
    columns: str


def _table_view(table: str, parts: list[_Part]) -> str:
    sch = schemas.schema(table)
    rows = [p for p in parts if p.kind == "rows"]
    tombs = [p for p in parts if p.kind == "tombstones"]
    if not rows:
        nulls = ", ".join(f'CAST(NULL AS {duck_type(f.type)}) AS "{f.name}"' for f in sch)
        return f"SELECT {nulls} WHERE false"
    present = {c for p in rows for c in p.columns.split(",")}
    select = ", ".join(f'r."{f.name}"' if f.name in present else f'CAST(NULL AS {duck_type(f.type)}) AS "{f.name}"'
                       for f in sch)
    by_name = ", union_by_name = true" if len({p.columns for p in rows}) > 1 else ""
    sql = f"SELECT {select} FROM read_parquet([{', '.join(_quote(p.path) for p in rows)}]{by_name}) r"
    if tombs:
        join = " AND ".join(f't."{k}" = r."{k}"' for k in schemas.primary_key(table))
        # ANTI JOIN, not NOT EXISTS: DuckDB plans it as one hash join on the key (about 8x faster on 1M rows)
        sql += (f"\nANTI JOIN read_parquet([{', '.join(_quote(p.path) for p in tombs)}]) t "
                f"ON {join} AND t._seq > r._seq")
    return sql


def _live_parts(con: duckdb.DuckDBPyConnection, warehouse: Path) -> dict[str, list[_Part]]:
    """Each table's partitions that are not obsolete, in load order, by absolute path."""
    root = Path(warehouse).resolve()
    parts: dict[str, list[_Part]] = {name: [] for name in schemas.TABLES}
    for table, file, kind, columns in con.execute(
            "SELECT table_name, file, kind, columns FROM _partitions WHERE obsolete_since IS NULL "
            "ORDER BY seq, file").fetchall():
        parts.setdefault(table, []).append(_Part(root / file, kind, columns))
    return parts


def publish(con: duckdb.DuckDBPyConnection, warehouse: Path) -> Path:
    """Write the readers' catalog for the writer's committed partitions to a temporary file, then rename it over
    DIR/khabar.duckdb. Costs what the number of partitions costs, not what they hold."""
    warehouse = Path(warehouse)
    root = warehouse.resolve()
    parts = _live_parts(con, warehouse)
    seq = con.execute("SELECT coalesce(max(seq), 0) FROM _partitions WHERE obsolete_since IS NULL").fetchall()[0][0]
    tmp = warehouse / f".{DB_NAME}.{uuid.uuid4().hex}.tmp"
    cat = duckdb.connect(str(tmp))
    try:
        cat.execute(f"CREATE TABLE {CATALOG_META} (root VARCHAR, seq BIGINT, published_at TIMESTAMPTZ)")
        cat.execute(f"INSERT INTO {CATALOG_META} VALUES (?, ?, now())", [str(root), seq])
        cat.execute(f"CREATE TABLE {CATALOG_FILES} (path VARCHAR)")
        files = [str(p.path) for ps in parts.values() for p in ps]
        if files:
            cat.execute(f"INSERT INTO {CATALOG_FILES} SELECT unnest(?)", [files])
        for name in schemas.TABLES:
            cat.execute(f"CREATE VIEW {name} AS\n{_table_view(name, parts[name])}")
        for name, sql in view_sql():
            cat.execute(f"CREATE VIEW {name} AS\n{sql}")
        cat.execute("CHECKPOINT")
    finally:
        cat.close()
    Path(str(tmp) + ".wal").unlink(missing_ok=True)
    _fsync_and_rename(tmp, db_path(warehouse))
    return db_path(warehouse)


def catalog_root(con: duckdb.DuckDBPyConnection) -> str | None:
    """The folder a catalog's views point into; None for a warehouse written before partitions (real tables)."""
    if not _has_table(con, CATALOG_META):
        return None
    return con.execute(f"SELECT root FROM {CATALOG_META}").fetchall()[0][0]


def catalog_files(con: duckdb.DuckDBPyConnection) -> list[str]:
    if not _has_table(con, CATALOG_FILES):
        return []
    return [r[0] for r in con.execute(f"SELECT path FROM {CATALOG_FILES}").fetchall()]


def publish_if_stale(con: duckdb.DuckDBPyConnection, warehouse: Path) -> bool:
    """Publish when the catalog is missing, older than the writer's last commit (a crash between a load's
    commit and its publish), or points into another folder (the warehouse was moved)."""
    path = db_path(warehouse)
    if path.exists():
        cat = duckdb.connect(str(path), read_only=True)
        try:
            root = catalog_root(cat)
            seq = cat.execute(f"SELECT seq FROM {CATALOG_META}").fetchall()[0][0] if root else None
        finally:
            cat.close()
        last = con.execute("SELECT coalesce(max(seq), 0) FROM _partitions").fetchall()[0][0]
        if root == str(Path(warehouse).resolve()) and seq == last:
            return False
    publish(con, warehouse)
    return True


# ---------------------------------------------------------------- compaction

@dataclass
class CompactResult:
    tables: dict[str, int]          # table -> live partition files merged into one
    files_removed: int              # obsolete files deleted (made obsolete by an earlier compaction)
    bytes_removed: int
    memory_limit: str | None = None  # the DuckDB memory limit it ran under; None: without one (see compact)


# Row groups of the files compaction writes: DuckDB's default of 122,880 rows, but at most ~16 MB each. DuckDB's
# Parquet writer holds a whole row group in memory; 122,880 articles (text and raw_text) would be ~1.2 GB, so under
# a memory limit the COPY failed ("failed to allocate 128 MiB") and without one it took GBs (docs/performance.md,
# Storage). One thread: with two, the order-preserving COPY kept more row groups in flight than a small limit
# allows. Rows keep the partitions' (load) order, except in COMPACT_SORTED.
COMPACT_COPY_OPTIONS = "ROW_GROUP_SIZE 122880, ROW_GROUP_SIZE_BYTES '16MB'"
COMPACT_THREADS = 1
# Tables written sorted by a key, in small row groups, so that a lookup of a few keys reads only the row groups
# whose min/max statistics can hold them. signatures: dedup fetches whole rows (1 kB MinHash lists) of the few
# stored ids that can matter to a batch; unsorted, any 8 of 100,000 ids decoded every row group's MinHash column
# (0.09 s), sorted in row groups of 2,048 rows 0.016 s (40 ids: 0.05 s; 200: 0.08 s). Not signature_bands: a
# batch looks up 62k random band keys, which fall into every row group whatever the order, and sorted by key
# its article ids no longer repeat within a row group (file 29 -> 47 MB, that lookup 0.067 -> 0.130 s).
# (Filtered reads never kept the stored order: DuckDB's semi join returns rows in its own order.)
COMPACT_SORTED = {"signatures": ("article_id", 2048)}


def compact(con: duckdb.DuckDBPyConnection, warehouse: Path, keep: timedelta = timedelta(hours=1),
            memory_limit: str | None = None) -> CompactResult:
    """Merge each table's live partitions (and tombstones) into one partition, in one transaction, then publish.
    The caller holds the writer lock. Files made obsolete stay until a compaction at least ``keep`` later, so a
    reader that opened the previous catalog keeps working; older obsolete files are deleted now.

    Memory: each table is copied from its live partitions (what readers see) in row groups of at most ~16 MB, by
    one thread, under the writer's memory limit (``memory_limit``, default writer_memory_limit(); DuckDB spills
    past it into state/writer.duckdb.tmp). A compaction that still runs out of memory under the limit is rolled
    back and done again without it (``CompactResult.memory_limit`` is then None)."""
    limit = memory_limit or writer_memory_limit()
    threads = con.execute("SELECT current_setting('threads')").fetchall()[0][0]
    con.execute("SET memory_limit = ?", [limit])
    con.execute(f"SET threads = {COMPACT_THREADS}")
    try:
        try:
            return _compact(con, warehouse, keep, limit)
        except duckdb.OutOfMemoryException:
            con.execute("RESET memory_limit")
            return _compact(con, warehouse, keep, None)
    finally:
        con.execute("RESET memory_limit")
        con.execute(f"SET threads = {int(threads)}")


def _compact(con: duckdb.DuckDBPyConnection, warehouse: Path, keep: timedelta, limit: str | None) -> CompactResult:
    now = datetime.now(timezone.utc)
    stale = con.execute("SELECT file, bytes FROM _partitions WHERE obsolete_since IS NOT NULL "
                        "AND obsolete_since <= ?", [now - keep]).fetchall()
    merged: dict[str, int] = {}
    seq = next_seq(con)
    parts = _live_parts(con, warehouse)
    con.execute("BEGIN TRANSACTION")
    try:
        for name in schemas.TABLES:
            live = parts[name]
            if len(live) <= 1 and all(p.kind == "rows" for p in live):
                continue
            con.execute("UPDATE _partitions SET obsolete_since = ? WHERE table_name = ? AND obsolete_since IS NULL",
                        [now, name])
            rows = _table_view(name, live)   # what readers see: the partitions' rows less their tombstones
            if name in COMPACT_SORTED:
                key, group = COMPACT_SORTED[name]
                write_partition(con, warehouse, name, seq, "compacted", f"SELECT * FROM ({rows}) ORDER BY {key}",
                                options=f"ROW_GROUP_SIZE {group}, ROW_GROUP_SIZE_BYTES '16MB'")
            else:
                write_partition(con, warehouse, name, seq, "compacted", rows, options=COMPACT_COPY_OPTIONS)
            merged[name] = len(live)
        con.execute("DELETE FROM _partitions WHERE file IN (SELECT unnest(?))", [[f for f, _ in stale]])
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
    publish(con, warehouse)
    for file, _ in stale:
        (Path(warehouse) / file).unlink(missing_ok=True)
    return CompactResult(merged, len(stale), sum(b for _, b in stale), limit)


def refresh_catalog(warehouse: Path) -> bool:
    """Under the writer lock: migrate an older warehouse, then publish the catalog if it is stale. True if
    published."""
    from filelock import FileLock

    from warehouse import LOCK_NAME

    with FileLock(str(Path(warehouse) / LOCK_NAME)):
        con = open_writer(warehouse)
        try:
            return publish_if_stale(con, warehouse)
        finally:
            con.close()
