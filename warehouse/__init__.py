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
from typing import Collection, Mapping, Sequence

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


def read_earlier(warehouse: Path, table: str, columns: list[str] | None = None,
                 where: Mapping[str, Collection] | Sequence[Mapping[str, Collection]] | None = None) -> pa.Table:
    """The one reader of earlier runs' state: rows of ``table`` as of the last load, filtered to the batch's keys.

    ``where``: {column: values} keeps rows whose every named column is among its values; a list of such
    mappings keeps rows matching any of them. A mapping with an empty value set matches nothing, so a batch
    with no keys reads nothing. ``columns=[]`` reads no column: ``num_rows`` is the count of matching rows.
    The filter goes down to the Parquet reader (rows are filtered while the file is read, batch by batch),
    so what comes back, and what is held, follows the batch, not the table.
    """
    if where is None:
        return read_snapshot(warehouse, table, columns)
    clauses = [where] if isinstance(where, Mapping) else list(where)
    filters = [[(col, "in", sorted(set(values))) for col, values in clause.items()]
               for clause in clauses if clause and all(len(v) for v in clause.values())]
    if not filters:
        empty = schemas.empty_table(table)
        return empty.select(columns) if columns is not None else empty
    path = snapshot_path(warehouse, table)
    wanted = schemas.schema(table).names if columns is None else columns
    # a snapshot written before a (nullable) column was added lacks it until the next load rewrites it
    have = set(pq.read_schema(path).names) if path.exists() else set(wanted)
    data = read_snapshot(warehouse, table, [c for c in wanted if c in have], filters=filters)
    for name in (c for c in wanted if c not in have):
        data = data.append_column(schemas.schema(table).field(name), pa.nulls(data.num_rows, schemas.schema(table).field(name).type))
    return data.select(wanted)


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
