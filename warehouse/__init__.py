"""Warehouse access: layout of a warehouse directory, read-only connections, reads of earlier state, views.

Layout of a warehouse directory DIR (storage details in warehouse/storage.py):
  DIR/khabar.duckdb            what readers open: views of every table (over the Parquet partitions) and every
                               view in warehouse/views/*.sql; replaced atomically after every load
  DIR/parquet/<table>/…        append-only partitions (rows, and tombstones of deleted or replaced keys)
  DIR/state/writer.duckdb      the loader's private tables; only the loader opens it, under DIR/.load.lock
  DIR/staging/<run_id>/…       Parquet written by a run's stages, loaded by one task, then removed
  DIR/quarantine/…             bytes of rejected inputs
Readers never block the writer, nor the writer a reader: an open reader keeps the version it opened.
"""
from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Collection, Mapping, Sequence

import duckdb
import pyarrow as pa

import schemas

VIEWS_DIR = Path(__file__).parent / "views"
DB_NAME = "khabar.duckdb"


class WarehouseNotFound(FileNotFoundError):
    pass


LOCK_NAME = ".load.lock"  # the one writer holds it while loading, compacting or publishing

def write_atomic(path: Path, data: bytes | str, *, sync: bool = False) -> Path:
    """The one way khabar replaces a file: write a temporary file beside it, then rename it into place, so readers
    see the old file or the new one, never half of one (``sync``: fsync first, for files a load must not lose)."""
    import os
    import uuid

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        with open(tmp, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            if sync:
                fh.flush()
                os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def store_quarantined(warehouse: Path, digest: str, name: str, data: bytes) -> Path:
    """Keep a rejected input's bytes under DIR/quarantine/ (named by content hash and file name; written once)."""
    target = quarantine_dir(warehouse) / f"{digest[:16]}-{name}"
    if not target.exists():
        write_atomic(target, data, sync=True)
    return target


def db_path(warehouse: Path) -> Path:
    return Path(warehouse) / DB_NAME


def staging_dir(warehouse: Path, run_id: str) -> Path:
    return Path(warehouse) / "staging" / run_id


def quarantine_dir(warehouse: Path) -> Path:
    return Path(warehouse) / "quarantine"


def read_snapshot(warehouse: Path, table: str, columns: list[str] | None = None,
                  filters: list | None = None) -> pa.Table:
    """A table as of the last load, read through the published catalog's view over its partitions (no lock: a
    load in progress is not seen); empty if there is no warehouse yet. ``filters``: pyarrow's DNF form
    ([(column, op, value), …] or a list of such lists), pushed down to the Parquet scan."""
    names = schemas.schema(table).names if columns is None else columns
    target = pa.schema([schemas.schema(table).field(c) for c in names])
    if not db_path(warehouse).exists():
        return schemas.empty_table(table).select(names)
    where, params = _filter_sql(filters)
    con = connect_readonly(warehouse)
    try:
        if not names:  # no column: only the number of matching rows
            n = con.execute(f"SELECT count(*) FROM {table}{where}", params).fetchall()[0][0]
            return pa.table({"n": pa.nulls(n)}).drop_columns(["n"])
        sql = f"SELECT {', '.join(_ident(c) for c in names)} FROM {table}{where}"
        if params:  # con.sql(sql, params=…) binds the statement, and its parameter lists, once more than this
            # (+0.03 s for a lookup of a batch's 62k band keys, whatever it returns); the "extra copy" it warns of
            # is of the rows that match, i.e. of the batch's size
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", UserWarning)
                data = con.execute(sql, params).to_arrow_reader().read_all()
        else:
            data = con.sql(sql).to_arrow_table()
    finally:
        con.close()
    return data.cast(target)


def read_earlier(warehouse: Path, table: str, columns: list[str] | None = None,
                 where: Mapping[str, Collection] | Sequence[Mapping[str, Collection]] | None = None) -> pa.Table:
    """The one reader of earlier runs' state: rows of ``table`` as of the last load, filtered to the batch's keys.

    ``where``: {column: values} keeps rows whose every named column is among its values; a list of such
    mappings keeps rows matching any of them. A mapping with an empty value set matches nothing, so a batch
    with no keys reads nothing. ``columns=[]`` reads no column: ``num_rows`` is the count of matching rows.
    The filter goes down to DuckDB's scan of the partitions (rows are filtered while the files are read),
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
    return read_snapshot(warehouse, table, columns, filters=filters)


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


_OPS = {"=": "=", "==": "=", "!=": "<>", "<": "<", "<=": "<=", ">": ">", ">=": ">="}


def _filter_sql(filters: list | None) -> tuple[str, list]:
    """pyarrow's DNF filters as SQL with parameters: a WHERE clause; or, for one group of conditions, its ``in``
    lists as semi joins (then the rest as a WHERE clause). DuckDB plans ``col IN (SELECT unnest(?))`` as a semi
    join too, but one that decodes every projected column of the whole scan first; written as a join it reads
    the key column, then the rest of the rows that match (62k band keys against 3.1M stored: 0.06 -> 0.035 s)."""
    if not filters:
        return "", []
    groups = [filters] if isinstance(filters[0], tuple) else filters
    params: list = []
    if len(groups) == 1 and any(op.lower() == "in" for _, op, _ in groups[0]):
        joins, others = [], [c for c in groups[0] if c[1].lower() != "in"]
        for column, op, value in groups[0]:
            if op.lower() == "in":
                q = f"_in{len(joins)}"
                joins.append(f" SEMI JOIN (SELECT unnest(?) AS _key) {q} ON {_ident(column)} = {q}._key")
                params.append(list(value))
        rest, rest_params = _filter_sql([others]) if others else ("", [])
        return "".join(joins) + rest, params + rest_params
    ors = []
    for group in groups:
        ands = []
        for column, op, value in group:
            op = op.lower()
            if op in ("in", "not in"):
                ands.append(f"{_ident(column)} {op.upper()} (SELECT unnest(?))")
                value = list(value)
            elif op in _OPS:
                ands.append(f"{_ident(column)} {_OPS[op]} ?")
            else:
                raise ValueError(f"unsupported filter operator {op!r} on {column}")
            params.append(value)
        ors.append("(" + " AND ".join(ands) + ")")
    return " WHERE " + " OR ".join(ors), params


# A sealed connection reads the warehouse's own views and the partition files they name, and nothing else: no
# other file read or written (COPY TO, EXPORT, read_csv/read_text/glob, ATTACH), no extensions installed or loaded,
# settings locked. DuckDB's allowed_paths lets a sealed connection also write the files it may read (COPY … TO a
# partition with USE_TMP_FILE false), so the SQL a user types is checked too: refuse_writes.
NO_EXTENSIONS = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}


def connect_readonly(warehouse: Path, retries: int = 20, delay: float = 0.25,
                     sealed: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse's catalog read-only. ``sealed``: for SQL a user typed (khabar query): nothing outside
    the warehouse can be read or written. A catalog whose views point into another folder (the warehouse was
    moved) is published again first; a warehouse written before partitions is migrated first."""
    from warehouse import storage

    path = db_path(warehouse)
    if not path.exists():
        raise WarehouseNotFound(f"no warehouse at {path} (run `khabar run INPUT --warehouse {warehouse}` first)")
    for attempt in range(2):
        con = _connect(path, retries, delay, dict(NO_EXTENSIONS) if sealed else {})
        root = storage.catalog_root(con)
        if root == str(Path(warehouse).resolve()) or attempt:
            break
        con.close()
        storage.refresh_catalog(warehouse)
    if sealed:
        files = storage.catalog_files(con)
        if files:
            con.execute("SET allowed_paths = ?", [files])
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
    return con


def _connect(path: Path, retries: int, delay: float, config: dict) -> duckdb.DuckDBPyConnection:
    """The catalog attached read-only to a fresh in-memory database. Not duckdb.connect(path): within one process
    that hands out the database instance already open on the path, i.e. the catalog as it was before the latest
    publish renamed a new one into place."""
    for attempt in range(retries):
        con = duckdb.connect(config=config)
        try:
            con.execute(f"ATTACH '{str(path).replace(chr(39), chr(39) * 2)}' AS khabar (READ_ONLY)")
            con.execute("USE khabar")
            return con
        except duckdb.IOException:
            # only a warehouse written before partitions (real tables, migrated by the next load) can be locked
            con.close()
            if attempt == retries - 1:
                raise
            time.sleep(delay)
    raise AssertionError("unreachable")


# statement kinds that read: everything else would change the warehouse, write files or load code
READING = {"SELECT", "EXPLAIN", "PRAGMA", "CALL", "SET", "VARIABLE_SET", "TRANSACTION", "PREPARE", "EXECUTE",
           "RELATION"}


def refuse_writes(sql: str) -> None:
    """Raise duckdb.PermissionException for SQL typed into a sealed reader that would change anything: DML and
    DDL (the tables are views: DuckDB would answer 'can only delete from base table'), and file writes (COPY …
    TO, EXPORT, also under EXPLAIN ANALYZE, which runs its statement): DuckDB's allowed_paths lets a sealed
    connection write the partition files it may read."""
    kinds = {s.type.name for s in duckdb.extract_statements(sql)}
    words = {sql[pos:].split(None, 1)[0].strip("(;").upper() for pos, kind in duckdb.tokenize(sql)
             if kind == duckdb.token_type.keyword}
    refused = sorted(kinds - READING) or sorted(words & {"COPY", "EXPORT"})
    if refused:
        raise duckdb.PermissionException(f"the warehouse is read-only here: {', '.join(refused)} refused")


def view_sql() -> list[tuple[str, str]]:
    """(name, SQL) of every view, in file-name order (files may depend on earlier ones)."""
    return [(p.stem.split("_", 1)[1] if p.stem[:2].isdigit() else p.stem, p.read_text(encoding="utf-8"))
            for p in sorted(VIEWS_DIR.glob("*.sql"))]
