"""Load stage: the only writer of khabar.duckdb. Staged Parquet in, one transaction, snapshots out.

Semantics per table come from schemas/ metadata:
- tables with a replace_key (per-article derived rows): rows of every re-processed article are replaced;
- other tables: upsert by primary key (on_conflict=replace) or keep the first row (on_conflict=ignore).
Loading the same staged data twice therefore changes nothing.
"""
from __future__ import annotations

import os
import shutil
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
from filelock import FileLock

import schemas
from schemas.tables import on_conflict
from warehouse import LOCK_NAME, db_path, snapshot_path, staging_dir, view_sql



@dataclass
class LoadResult:
    inserted: dict[str, int] = field(default_factory=dict)
    totals: dict[str, int] = field(default_factory=dict)


def write_parquet_atomic(table: pa.Table, path: Path) -> Path:
    """Write to a temporary file in the same directory, fsync, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    pq.write_table(table, tmp)
    with open(tmp, "rb") as fh:
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return path


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


def ensure_schema(con: duckdb.DuckDBPyConnection) -> None:
    for name in schemas.TABLES:
        con.execute(schemas.ddl(name))
        # a warehouse written by an older version gains the new (nullable) columns; nothing else changes
        have = {r[0] for r in con.execute("SELECT column_name FROM information_schema.columns WHERE table_name = ?",
                                          [name]).fetchall()}
        for sql in schemas.add_missing_columns_sql(name, have):
            con.execute(sql)
    for name, sql in view_sql():
        con.execute(f"CREATE OR REPLACE VIEW {name} AS\n{sql}")


def init_warehouse(warehouse: Path) -> None:
    """Create an empty warehouse (tables, views, snapshots) if none exists."""
    Path(warehouse).mkdir(parents=True, exist_ok=True)
    with FileLock(str(Path(warehouse) / LOCK_NAME)):
        con = duckdb.connect(str(db_path(warehouse)))
        try:
            ensure_schema(con)
            export_snapshots(con, warehouse, only_missing=True)
        finally:
            con.close()


def export_snapshots(con: duckdb.DuckDBPyConnection, warehouse: Path, only_missing: bool = False) -> None:
    for name in schemas.TABLES:
        path = snapshot_path(warehouse, name)
        if only_missing and path.exists():
            continue
        # columns by name in the schema's order: a migrated table has its added columns at the end
        cols = ", ".join(f'"{c}"' for c in schemas.schema(name).names)
        data = con.sql(f"SELECT {cols} FROM {name}").to_arrow_table()
        write_parquet_atomic(schemas.validate(name, data), path)


def _load_table(con: duckdb.DuckDBPyConnection, name: str, files: list[Path], scopes: list[Path]) -> int:
    pk = schemas.primary_key(name)
    before = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
    rkey = schemas.replace_key(name)
    if rkey and scopes:
        scope_list = ", ".join(f"'{p}'" for p in scopes)
        con.execute(f"DELETE FROM {name} WHERE {rkey} IN (SELECT article_id FROM read_parquet([{scope_list}]))")
    if files:
        file_list = ", ".join(f"'{p}'" for p in files)
        cols = ", ".join(f'"{c}"' for c in schemas.schema(name).names)
        # One row per key inside the staged data itself (first part wins), then against the table.
        con.execute(
            f"CREATE OR REPLACE TEMP TABLE _staged AS SELECT {cols} FROM read_parquet([{file_list}], filename=false) "
            f"QUALIFY row_number() OVER (PARTITION BY {', '.join(pk)}) = 1"
        )
        join = " AND ".join(f"t.{k} = s.{k}" for k in pk)
        if on_conflict(name) == "replace":
            con.execute(f"DELETE FROM {name} t WHERE EXISTS (SELECT 1 FROM _staged s WHERE {join})")
        con.execute(f"INSERT INTO {name} ({cols}) SELECT {cols} FROM _staged s "
                    f"WHERE NOT EXISTS (SELECT 1 FROM {name} t WHERE {join})")
        con.execute("DROP TABLE _staged")
    return con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] - before


def load_staged(con: duckdb.DuckDBPyConnection, root: Path) -> dict[str, int]:
    """Load every table a run staged under ``root`` into ``con`` (inside the caller's transaction).

    Returns rows inserted per table that had staged data or scopes.
    """
    inserted: dict[str, int] = {}
    for name in schemas.TABLES:
        folder = root / name
        files = sorted(p for p in folder.glob("*.parquet") if not p.name.endswith(".scope.parquet"))
        scopes = sorted(folder.glob("*.scope.parquet"))
        if files or scopes:
            inserted[name] = _load_table(con, name, files, scopes)
    return inserted


def load_run(warehouse: Path, run_id: str, keep_staging: bool = False) -> LoadResult:
    """Load everything a run staged, in one transaction, under the warehouse's writer lock."""
    warehouse = Path(warehouse)
    root = staging_dir(warehouse, run_id)
    result = LoadResult()
    warehouse.mkdir(parents=True, exist_ok=True)
    with FileLock(str(warehouse / LOCK_NAME)):
        con = duckdb.connect(str(db_path(warehouse)))
        try:
            ensure_schema(con)
            con.execute("BEGIN TRANSACTION")
            result.inserted = load_staged(con, root)
            con.execute("COMMIT")
            export_snapshots(con, warehouse)
            for name in schemas.TABLES:
                result.totals[name] = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
        except BaseException:
            try:
                con.execute("ROLLBACK")
            except duckdb.Error:
                pass
            raise
        finally:
            con.close()
    if not keep_staging:
        shutil.rmtree(root, ignore_errors=True)
    return result
