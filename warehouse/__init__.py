"""Warehouse access: layout of a warehouse directory, read-only connections, Parquet snapshots, views.

Layout of a warehouse directory DIR:
  DIR/khabar.duckdb            every table (DDL from schemas/) and every view (warehouse/views/*.sql)
  DIR/parquet/<table>.parquet  a snapshot of each table, rewritten atomically after every load
  DIR/staging/<run_id>/…       Parquet written by a run's stages, loaded by one task, then removed
  DIR/quarantine/…             bytes of rejected inputs
The DuckDB file holds real tables (not views over Parquet paths), so it opens from any working directory.
"""
from __future__ import annotations

import time
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

import schemas

VIEWS_DIR = Path(__file__).parent / "views"
DB_NAME = "khabar.duckdb"


class WarehouseNotFound(FileNotFoundError):
    pass


LOCK_NAME = ".load.lock"  # the one writer holds it while loading; the run's own report reads under it

def db_path(warehouse: Path) -> Path:
    return Path(warehouse) / DB_NAME


def snapshot_path(warehouse: Path, table: str) -> Path:
    return Path(warehouse) / "parquet" / f"{table}.parquet"


def staging_dir(warehouse: Path, run_id: str) -> Path:
    return Path(warehouse) / "staging" / run_id


def quarantine_dir(warehouse: Path) -> Path:
    return Path(warehouse) / "quarantine"


def read_snapshot(warehouse: Path, table: str, columns: list[str] | None = None,
                  filters: list | None = None) -> pa.Table:
    """A table as of the last load, read from its Parquet snapshot (no DuckDB lock needed); empty if none."""
    path = snapshot_path(warehouse, table)
    if not path.exists():
        empty = schemas.empty_table(table)
        return empty.select(columns) if columns else empty
    return pq.read_table(path, columns=columns, filters=filters)


# A sealed connection reads the warehouse's own tables and views and nothing else: no files read or written
# (COPY TO, EXPORT, read_csv/read_text/glob, ATTACH), no extensions installed or loaded, settings locked.
SEALED = {"enable_external_access": False, "autoinstall_known_extensions": False,
          "autoload_known_extensions": False, "lock_configuration": True}


def connect_readonly(warehouse: Path, retries: int = 20, delay: float = 0.25,
                     sealed: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse read-only; waits briefly while a load holds the single writer lock. ``sealed``: for SQL
    a user typed (khabar query): nothing outside the warehouse can be read or written."""
    path = db_path(warehouse)
    if not path.exists():
        raise WarehouseNotFound(f"no warehouse at {path} (run `khabar run INPUT --warehouse {warehouse}` first)")
    for attempt in range(retries):
        try:
            return duckdb.connect(str(path), read_only=True, config=dict(SEALED) if sealed else {})
        except duckdb.IOException:
            if attempt == retries - 1:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")


def view_sql() -> list[tuple[str, str]]:
    """(name, SQL) of every view, in file-name order (files may depend on earlier ones)."""
    return [(p.stem.split("_", 1)[1] if p.stem[:2].isdigit() else p.stem, p.read_text(encoding="utf-8"))
            for p in sorted(VIEWS_DIR.glob("*.sql"))]
