"""Load stage: the only writer of a warehouse. Staged Parquet in, one transaction, new partitions out.

Semantics per table come from schemas/ metadata:
- tables with a replace_key (per-article derived rows): rows of every re-processed article are replaced;
- other tables: upsert by primary key (on_conflict=replace) or keep the first row (on_conflict=ignore).
Loading the same staged data twice therefore changes nothing.

The writer's own tables (warehouse/storage.py: DIR/state/writer.duckdb, keys only) decide what changes; what changed is
appended as Parquet partitions (the rows inserted, the keys deleted or replaced) listed in the same transaction,
then the readers' catalog DIR/khabar.duckdb is published. A load's cost follows its batch: no existing file is
rewritten.
"""
from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
from filelock import FileLock

import schemas
from schemas.tables import on_conflict
from warehouse import LOCK_NAME, staging_dir
from warehouse.storage import (compact, next_seq, open_writer, publish, publish_if_stale,
                               write_parquet_atomic, write_partition, writer_memory_limit)

__all__ = ["LOCK_NAME", "LoadResult", "compact_warehouse", "init_warehouse", "load_run",
           "load_staged", "stage", "write_parquet_atomic"]


@dataclass
class LoadResult:
    inserted: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


def stage(warehouse: Path, run_id: str, table: str, rows: pa.Table | list[dict], part: str = "main",
          scope_article_ids: list[str] | None = None) -> Path:
    """Write one part of a table for this run into staging (validated against the schema).

    ``scope_article_ids``: articles whose existing rows in a per-article table this part replaces
    (an article that now yields no rows still clears its old ones).
    """
    data = rows if isinstance(rows, pa.Table) else schemas.to_arrow(table, rows)
    data = schemas.validate(table, data)
    out = staging_dir(warehouse, run_id) / table / f"{part}.parquet"
    write_parquet_atomic(data, out)
    if scope_article_ids is not None:
        scope = pa.table({"article_id": pa.array(sorted(set(scope_article_ids)), pa.string())})
        write_parquet_atomic(scope, staging_dir(warehouse, run_id) / table / f"{part}.scope.parquet")
    return out


def init_warehouse(warehouse: Path) -> None:
    """Create an empty warehouse if none exists, migrate one written before partitions, and publish its catalog
    if a crash or a move left it stale."""
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    with FileLock(str(Path(warehouse) / LOCK_NAME)):
        con = open_writer(warehouse)
        try:
            publish_if_stale(con, warehouse)
        finally:
            con.close()


def _load_table(con: duckdb.DuckDBPyConnection, warehouse: Path, seq: int, run_id: str, name: str,
                files: list[Path], scopes: list[Path]) -> int:
    """One table of a load. Each pass over the writer's stored keys costs what the table holds (tokens: 23M keys at
    100,000 articles), so each is made once: a DELETE ... RETURNING gives the keys it removed (the tombstones),
    and after a replacing table's stored rows of the staged keys are deleted every staged row is new."""
    pk = schemas.primary_key(name)
    keys = ", ".join(f'"{k}"' for k in pk)
    before = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
    gone: list[pa.Table] = []  # keys of the rows this load deletes or replaces: what readers subtract
    rkey = schemas.replace_key(name)
    in_scope = None
    if rkey and scopes:
        scope_list = ", ".join(f"'{p}'" for p in scopes)
        in_scope = f"{rkey} IN (SELECT article_id FROM read_parquet([{scope_list}]))"
        # con.sql runs a DELETE at once; its relation holds the RETURNING rows
        gone.append(con.sql(f"DELETE FROM {name} WHERE {in_scope} RETURNING {keys}").to_arrow_table())
    if files:
        file_list = ", ".join(f"'{p}'" for p in files)
        cols = ", ".join(f'"{c}"' for c in schemas.schema(name).names)
        writer_cols = ", ".join(f'"{c}"' for c in schemas.key_columns(name))   # the writer keeps keys only
        # One row per key inside the staged data itself (first part wins), then against the table.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT {cols} FROM read_parquet([{file_list}], filename=false) "
            f"QUALIFY row_number() OVER (PARTITION BY {', '.join(pk)}) = 1"
        )
        join = " AND ".join(f"t.{k} = s.{k}" for k in pk)
        new = "_staged"
        if on_conflict(name) == "ignore":
            con.execute(f"CREATE OR REPLACE TEMP TABLE _new AS SELECT {cols} FROM _staged s "
                        f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {join})")
            new = "_new"
        elif not (in_scope and rkey in pk and _all_in_scope(con, in_scope)):
            # (when the key holds the replace key and every staged row is in scope, the scope's delete removed
            # every stored row a staged key could match)
            gone.append(con.sql(f"DELETE FROM {name} t WHERE EXISTS (SELECT 1 FROM _staged s WHERE {join}) "
                                f"RETURNING {keys}").to_arrow_table())
        con.execute(f"INSERT INTO {name} ({writer_cols}) SELECT {writer_cols} FROM {new}")
        write_partition(con, warehouse, name, seq, run_id, f"SELECT * FROM {new}")
        con.execute("DROP TABLE IF EXISTS _new")
        con.execute("DROP TABLE _staged")
    if any(t.num_rows for t in gone):
        con.register("_gone", pa.concat_tables(gone))
        try:
            write_partition(con, warehouse, name, seq, run_id, f"SELECT DISTINCT {keys} FROM _gone",
                            kind="tombstones")
        finally:
            con.unregister("_gone")
    return con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0] - before


def _all_in_scope(con: duckdb.DuckDBPyConnection, in_scope: str) -> bool:
    return not con.execute(f"SELECT count(*) FROM _staged WHERE NOT ({in_scope})").fetchall()[0][0]


def load_staged(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: str) -> dict[str, int]:
    """Load every table run ``run_id`` staged into the writer's state ``con`` and append what changed as
    partitions (inside the caller's transaction; they are listed only if it commits).

    Returns rows inserted per table that had staged data or scopes."""
    root = staging_dir(warehouse, run_id)
    seq = next_seq(con)
    inserted: dict[str, int] = {}
    for name in schemas.TABLES:
        folder = root / name
        files = sorted(p for p in folder.glob("*.parquet") if not p.name.endswith(".scope.parquet"))
        scopes = sorted(folder.glob("*.scope.parquet"))
        if files or scopes:
            inserted[name] = _load_table(con, Path(warehouse), seq, run_id, name, files, scopes)
    return inserted


def _load_in_transaction(con: duckdb.DuckDBPyConnection, warehouse: Path, run_id: str) -> dict[str, int]:
    con.execute("BEGIN TRANSACTION")
    inserted = load_staged(con, warehouse, run_id)
    con.execute("COMMIT")
    return inserted


def _rollback(con: duckdb.DuckDBPyConnection) -> None:
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


def load_run(warehouse: Path, run_id: str, keep_staging: bool = False) -> LoadResult:
    """Load everything a run staged, in one transaction, under the warehouse's writer lock; then publish."""
    warehouse = Path(warehouse)
    result = LoadResult()
    warehouse.mkdir(parents=True, exist_ok=True)
    with FileLock(str(warehouse / LOCK_NAME)):
        con = open_writer(warehouse)
        try:
            publish_if_stale(con, warehouse)  # a first load that fails still leaves a readable (empty) warehouse
            con.execute("SET memory_limit = ?", [writer_memory_limit()])  # bounds the checkpoint (storage.py)
            try:
                result.inserted = _load_in_transaction(con, warehouse, run_id)
            except duckdb.OutOfMemoryException:  # a load bigger than the cap: again, uncapped (it is idempotent)
                _rollback(con)
                con.execute("RESET memory_limit")
                result.inserted = _load_in_transaction(con, warehouse, run_id)
            publish(con, warehouse)
            for name in schemas.TABLES:
                result.totals[name] = con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0]
        except BaseException:
            _rollback(con)
            raise
        finally:
            con.close()
    if not keep_staging:
        shutil.rmtree(staging_dir(warehouse, run_id), ignore_errors=True)
    return result


def compact_warehouse(warehouse: Path, keep_minutes: float = 60):
    """Merge each table's partitions into one (khabar compact), under the writer lock."""
    from datetime import timedelta

    with FileLock(str(Path(warehouse) / LOCK_NAME)):
        con = open_writer(warehouse)
        try:
            return compact(con, warehouse, keep=timedelta(minutes=keep_minutes))
        finally:
            con.close()
