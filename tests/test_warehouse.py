"""The warehouse contract: schemas drive DDL and validation; loading is idempotent and atomic."""
from __future__ import annotations

import os
from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import schemas
from schemas.tables import SchemaError
from tasks import load
from warehouse import connect_readonly, db_path, read_earlier, read_snapshot, storage

CONTRACT = {
    "articles": "article_id source_path source_url title text raw_text language published_at dateline content_hash "
                "duplicate_of run_id ingested_at",
    "mentions": "mention_id article_id sentence_index start_char end_char text ner_label entity_id confidence",
    "entities": "entity_id canonical_name entity_type wikidata_id country_code actor_code aliases",
    "events": "event_id article_id sentence_index event_date actor1_entity_id actor1_code actor1_country_code "
              "actor2_entity_id actor2_code actor2_country_code event_code event_root_code quad_class "
              "goldstein_scale trigger_text start_char end_char confidence",
    "relations": "relation_id article_id sentence_index subject_entity_id predicate object_entity_id evidence confidence",
    "quarantine": "source_path reason detail run_id",
    "runs": "run_id flow_run_id started_at finished_at inputs counts code_version model_versions",
    "sentences": "article_id sentence_index start_char end_char text",
    "tokens": "article_id sentence_index token_index text lemma upos xpos feats head deprel start_char end_char ner",
}
NOW = datetime(2026, 1, 1, tzinfo=timezone.utc)


@pytest.mark.parametrize("table", sorted(CONTRACT))
def test_contract_columns_exist(table):
    assert set(CONTRACT[table].split()) <= set(schemas.schema(table).names)


def test_ddl_creates_every_table_with_its_primary_key():
    con = duckdb.connect()
    for name in schemas.TABLES:
        con.execute(schemas.ddl(name))
    assert {r[0] for r in con.execute("SHOW TABLES").fetchall()} == set(schemas.TABLES)
    con.execute("INSERT INTO entities (entity_id, canonical_name) VALUES ('Q1', 'x')")
    with pytest.raises(duckdb.ConstraintException):
        con.execute("INSERT INTO entities (entity_id, canonical_name) VALUES ('Q1', 'y')")


def test_validation_rejects_unknown_columns_and_nulls():
    with pytest.raises(SchemaError, match="unknown column"):
        schemas.to_arrow("entities", [{"entity_id": "Q1", "canonical_name": "x", "colour": "red"}])
    with pytest.raises(SchemaError, match="canonical_name"):
        schemas.to_arrow("entities", [{"entity_id": "Q1"}])


def _article(aid: str, text: str = "متن") -> dict:
    return {"article_id": aid, "source_path": f"/x/{aid}.txt", "text": text, "raw_text": text,
            "content_hash": aid * 2, "run_id": "r1", "ingested_at": NOW}


def _mention(aid: str, start: int) -> dict:
    return {"mention_id": f"m{aid}{start}", "article_id": aid, "start_char": start, "end_char": start + 2, "text": "xx"}


def test_load_is_idempotent_and_replaces_per_article_rows(tmp_path: Path):
    wh = tmp_path / "wh"
    for run in ("r1", "r2"):  # the same staged data twice
        load.stage(wh, run, "articles", [_article("a1"), _article("a2")])
        load.stage(wh, run, "mentions", [_mention("a1", 0), _mention("a1", 5)], scope_article_ids=["a1"])
        load.load_run(wh, run)
    con = duckdb.connect(str(db_path(wh)), read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 2
    assert con.execute("SELECT count(*) FROM mentions").fetchone()[0] == 2
    con.close()
    # Re-processing a1 now yields one mention: the old two are replaced, not kept beside it.
    load.stage(wh, "r3", "mentions", [_mention("a1", 9)], scope_article_ids=["a1"])
    load.load_run(wh, "r3")
    assert read_snapshot(wh, "mentions").column("start_char").to_pylist() == [9]
    assert not (wh / "staging" / "r3").exists()


def test_views_follow_the_schema_and_readonly_connection_cannot_write(tmp_path: Path):
    wh = tmp_path / "wh"
    load.init_warehouse(wh)
    con = connect_readonly(wh)
    for name in schemas.TABLES:
        assert [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()] == schemas.schema(name).names
        assert read_snapshot(wh, name).schema.names == schemas.schema(name).names
    with pytest.raises(duckdb.Error):
        con.execute("DELETE FROM articles")
    con.close()


def test_failed_load_leaves_no_partial_rows(tmp_path: Path):
    wh = tmp_path / "wh"
    load.stage(wh, "r1", "articles", [_article("a1")])
    # A corrupt staged part of a later table makes the transaction fail after articles were inserted.
    bad = wh / "staging" / "r1" / "runs" / "main.parquet"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(b"not parquet")
    with pytest.raises(duckdb.Error):
        load.load_run(wh, "r1")
    con = duckdb.connect(str(db_path(wh)), read_only=True)
    assert con.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    con.close()


def test_atomic_parquet_write_leaves_no_temp_files(tmp_path: Path):
    table = schemas.to_arrow("entities", [{"entity_id": "Q1", "canonical_name": "x"}])
    path = load.write_parquet_atomic(table, tmp_path / "t" / "entities.parquet")
    assert [p.name for p in path.parent.iterdir()] == ["entities.parquet"]
    assert pq.read_table(path).num_rows == 1


def test_the_writer_keeps_only_keys_and_the_partitions_hold_the_rows(tmp_path):
    """The writer's state holds each table's key columns (all a load decides by); readers see whole rows. A full
    row group of article texts in the writer cost a 3 s, +443 MB checkpoint inside a load (docs/performance.md)."""
    wh = tmp_path / "wh"
    load.stage(wh, "r1", "articles", [_article("a1"), _article("a2")])
    load.stage(wh, "r1", "mentions", [_mention("a1", 0), _mention("a2", 3)], scope_article_ids=["a1", "a2"])
    load.load_run(wh, "r1")
    load.stage(wh, "r2", "mentions", [_mention("a1", 7)], scope_article_ids=["a1"])   # a1 re-processed
    load.load_run(wh, "r2")
    con = duckdb.connect(str(storage.writer_path(wh)), read_only=True)
    for name in schemas.TABLES:
        assert [r[0] for r in con.execute(f"DESCRIBE {name}").fetchall()] == \
            [c for c in schemas.schema(name).names if c in schemas.key_columns(name)]
    assert sorted(con.execute("SELECT mention_id, article_id FROM mentions").fetchall()) == \
        [("ma17", "a1"), ("ma23", "a2")]
    con.close()
    got = sorted(read_snapshot(wh, "mentions").to_pylist(), key=lambda r: r["mention_id"])
    assert got == schemas.to_arrow("mentions", [_mention("a1", 7), _mention("a2", 3)]).to_pylist()
    assert sorted(read_snapshot(wh, "articles", ["article_id", "text"]).to_pylist(), key=str) == [
        {"article_id": "a1", "text": "متن"}, {"article_id": "a2", "text": "متن"}]


def _old_layout_warehouse(wh: Path) -> None:
    """A warehouse as versions before partitions wrote it: real tables in khabar.duckdb, whole-table snapshots."""
    (wh / "parquet").mkdir(parents=True)
    con = duckdb.connect(str(db_path(wh)))
    for name in schemas.TABLES:
        con.execute(schemas.ddl(name))
    con.register("old_articles", schemas.to_arrow("articles", [_article("a1"), _article("a2")]))
    con.execute(f"INSERT INTO articles SELECT {', '.join(schemas.schema('articles').names)} FROM old_articles")
    con.register("old_mentions", schemas.to_arrow("mentions", [_mention("a1", 0), _mention("a2", 3)]))
    con.execute(f"INSERT INTO mentions SELECT {', '.join(schemas.schema('mentions').names)} FROM old_mentions")
    for name in schemas.TABLES:
        cols = ", ".join(f'"{c}"' for c in schemas.schema(name).names)
        con.execute(f"COPY (SELECT {cols} FROM {name}) TO '{storage.old_snapshot_path(wh, name)}' (FORMAT parquet)")
    con.close()


def test_a_warehouse_written_before_partitions_is_migrated_on_first_load(tmp_path: Path):
    wh = tmp_path / "wh"
    _old_layout_warehouse(wh)
    old_reader = duckdb.connect(str(db_path(wh)), read_only=True)  # a reader of the old version, open meanwhile
    load.stage(wh, "r1", "mentions", [_mention("a1", 9)], scope_article_ids=["a1"])
    load.stage(wh, "r1", "articles", [_article("a3")])
    load.load_run(wh, "r1")
    assert storage.writer_path(wh).exists()
    con = connect_readonly(wh)
    assert storage.catalog_root(con) == str(wh.resolve())     # now a catalog of views
    assert sorted(con.execute("SELECT article_id FROM articles").fetchall()) == [("a1",), ("a2",), ("a3",)]
    assert sorted(con.execute("SELECT article_id, start_char FROM mentions").fetchall()) == [("a1", 9), ("a2", 3)]
    con.close()
    assert old_reader.execute("SELECT count(*) FROM articles").fetchall() == [(2,)]   # it keeps the old file
    old_reader.close()
    assert not any(storage.old_snapshot_path(wh, name).exists() for name in schemas.TABLES)
    first = sorted(p.name for p in (wh / "parquet" / "articles").iterdir())
    assert first == ["0000000001-migrated.parquet", "0000000002-r1.parquet"]


def _mtimes(wh: Path) -> dict[str, tuple[int, int]]:
    return {str(p.relative_to(wh)): (p.stat().st_mtime_ns, p.stat().st_size) for p in (wh / "parquet").rglob("*")
            if p.is_file()}


def test_a_load_writes_only_its_batch_and_rewrites_no_partition(tmp_path: Path):
    """Load cost follows the batch: one new row into a warehouse of many writes one small file per changed table,
    and every existing partition keeps its bytes and its mtime."""
    wh = tmp_path / "wh"
    big = [{"article_id": f"a{i // 100}", "sentence_index": i // 10 % 10, "token_index": i % 10, "text": "لفظ" * 5}
           for i in range(200_000)]
    load.stage(wh, "big", "tokens", big)
    load.load_run(wh, "big")
    before = _mtimes(wh)
    assert max(size for _, size in before.values()) > 200_000
    load.stage(wh, "one", "tokens", [{"article_id": "new", "sentence_index": 0, "token_index": 0, "text": "x"}])
    load.load_run(wh, "one")
    after = _mtimes(wh)
    assert {k: v for k, v in after.items() if k in before} == before       # nothing rewritten
    added = sorted(set(after) - set(before))
    assert added == [f"parquet/tokens/{p}" for p in os.listdir(wh / "parquet" / "tokens") if "-one" in p]
    assert len(added) == 1 and after[added[0]][1] < 5_000
    assert read_snapshot(wh, "tokens", filters=[("article_id", "=", "new")]).num_rows == 1
    assert read_snapshot(wh, "tokens").num_rows == 200_001


def test_compaction_merges_partitions_and_keeps_every_row(tmp_path: Path):
    wh = tmp_path / "wh"
    for run, start in (("r1", 0), ("r2", 5), ("r3", 7)):      # each run re-processes a1: replaced, tombstoned
        load.stage(wh, run, "articles", [_article("a1"), _article(run)])
        load.stage(wh, run, "mentions", [_mention("a1", start), _mention(run, 1)], scope_article_ids=["a1", run])
        load.load_run(wh, run)
    before = {t: sorted(map(str, read_snapshot(wh, t).to_pylist())) for t in ("articles", "mentions")}
    assert len(list((wh / "parquet" / "mentions").iterdir())) == 5           # 3 row files + 2 tombstone files
    reader = connect_readonly(wh)                                            # opened before the compaction
    result = load.compact_warehouse(wh)
    assert result.tables == {"articles": 5, "mentions": 5}
    assert {t: sorted(map(str, read_snapshot(wh, t).to_pylist())) for t in before} == before
    assert reader.execute("SELECT count(*) FROM mentions").fetchall() == [(4,)]   # old files kept for it
    fresh = connect_readonly(wh)  # in the same process, while the old reader is open: the new catalog
    assert len(storage.catalog_files(fresh)) == 2 < len(storage.catalog_files(reader))
    fresh.close()
    reader.close()
    load.compact_warehouse(wh, keep_minutes=0)                               # now they go
    assert [p.name for p in (wh / "parquet" / "mentions").iterdir()] == ["0000000005-compacted.parquet"]
    assert {t: sorted(map(str, read_snapshot(wh, t).to_pylist())) for t in before} == before


def test_compaction_stays_within_a_memory_limit(tmp_path: Path):
    """Compaction runs under a memory limit, by one thread, in row groups of at most ~16 MB: a plain COPY of
    these 3,000 articles (~110 MB of text: one row group) does not fit under 192 MB, and without a limit a
    100,000-article warehouse's compaction peaked at 3.5 GB (docs/performance.md, Storage)."""
    wh = tmp_path / "wh"
    for run in range(3):
        arts = [_article(f"a{run}-{i}", "".join(f"{run}.{i}.{j} " for j in range(2_000))) for i in range(1_000)]
        load.stage(wh, f"r{run}", "articles", arts)
        load.load_run(wh, f"r{run}")
    before = read_snapshot(wh, "articles", ["article_id", "text"])
    con = storage.open_writer(wh)
    try:
        con.execute("SET memory_limit = '192MB'")
        with pytest.raises(duckdb.OutOfMemoryException):
            con.execute(f"COPY (SELECT * FROM read_parquet('{wh}/parquet/articles/*.parquet')) "
                        f"TO '{tmp_path / 'one.parquet'}' (FORMAT parquet)")
        result = storage.compact(con, wh, memory_limit="192MB")
    finally:
        con.close()
    assert result.tables == {"articles": 3} and result.memory_limit == "192MB"   # not retried without the limit
    [file] = [p for p in (wh / "parquet" / "articles").iterdir() if "compacted" in p.name]
    meta = pq.ParquetFile(file).metadata
    assert meta.num_rows == 3_000 and meta.num_row_groups > 3
    assert max(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups)) < 40 * 2**20
    after = read_snapshot(wh, "articles", ["article_id", "text"])
    assert after.to_pylist() == before.to_pylist()                      # every row, in the same (stored) order


def test_compaction_sorts_signatures_into_row_groups_a_lookup_can_skip(tmp_path: Path):
    """Compacted signatures are sorted by article_id in row groups of 2,048 rows with disjoint min/max, so a
    lookup of a few ids reads a few row groups (not every row group's MinHash lists)."""
    import random

    wh = tmp_path / "wh"
    ids = [f"a{random.Random(7).getrandbits(64) ^ i:016x}" for i in range(6_000)]
    for run in range(2):
        rows = [{"article_id": a, "content_hash": a, "num_perm": 128, "shingle_size": 3, "minhash": list(range(128))}
                for a in ids[run::2]]
        load.stage(wh, f"r{run}", "signatures", rows)
        load.load_run(wh, f"r{run}")
    assert load.compact_warehouse(wh).tables == {"signatures": 2}
    [file] = [p for p in (wh / "parquet" / "signatures").iterdir() if "compacted" in p.name]
    meta = pq.ParquetFile(file).metadata
    col = meta.schema.names.index("article_id")
    ranges = [(meta.row_group(i).column(col).statistics.min, meta.row_group(i).column(col).statistics.max)
              for i in range(meta.num_row_groups)]
    assert len(ranges) == 3 and all(lo <= hi < nxt for (lo, hi), (nxt, _) in zip(ranges, ranges[1:]))
    assert sorted(read_snapshot(wh, "signatures", ["article_id"]).column("article_id").to_pylist()) == sorted(ids)
    few = read_earlier(wh, "signatures", None, {"article_id": ids[:3]})
    assert sorted(few.column("article_id").to_pylist()) == sorted(ids[:3])


def test_a_moved_warehouse_is_published_again_on_open(tmp_path: Path):
    wh = tmp_path / "wh"
    load.stage(wh, "r1", "articles", [_article("a1")])
    load.load_run(wh, "r1")
    moved = tmp_path / "elsewhere"
    wh.rename(moved)
    con = connect_readonly(moved)
    assert con.execute("SELECT article_id FROM articles").fetchall() == [("a1",)]
    assert storage.catalog_root(con) == str(moved.resolve())
    con.close()


def test_khabar_compact_command(tmp_path: Path):
    import subprocess
    import sys

    wh = tmp_path / "wh"
    for run in ("r1", "r2"):
        load.stage(wh, run, "articles", [_article(run)])
        load.load_run(wh, run)
    cmd = [sys.executable, "-m", "khabar.cli", "compact", "-w", str(wh), "--keep-minutes", "0"]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "articles (2 files)" in done.stdout
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300)  # the replaced files go now
    assert "nothing to merge" in done.stdout and "removed 2 obsolete files" in done.stdout, done.stdout
    assert [p.name for p in (wh / "parquet" / "articles").iterdir()] == ["0000000004-compacted.parquet"]
    assert sorted(read_snapshot(wh, "articles").column("article_id").to_pylist()) == ["r1", "r2"]
    missing = subprocess.run([sys.executable, "-m", "khabar.cli", "compact", "-w", str(tmp_path / "none")],
                             capture_output=True, text=True, timeout=300)
    assert missing.returncode == 2 and "no warehouse" in missing.stderr


def test_reading_a_warehouse_written_before_partitions_migrates_it(tmp_path: Path):
    wh = tmp_path / "wh"
    _old_layout_warehouse(wh)
    assert sorted(read_snapshot(wh, "articles", ["article_id"]).column("article_id").to_pylist()) == ["a1", "a2"]
    assert storage.writer_path(wh).exists()
    con = connect_readonly(wh)
    assert storage.catalog_root(con) == str(wh.resolve())
    con.close()


def test_write_atomic_replaces_whole_files_and_leaves_no_temporary_files(tmp_path):
    from warehouse import store_quarantined, write_atomic

    target = tmp_path / "sub" / "report.html"
    write_atomic(target, "پہلا")
    write_atomic(target, b"second", sync=True)
    assert target.read_bytes() == b"second"
    assert sorted(p.name for p in target.parent.iterdir()) == ["report.html"]

    kept = store_quarantined(tmp_path, "ab" * 32, "bad.json", b"[[[")
    assert kept.parent == tmp_path / "quarantine" and kept.name == "abababababababab-bad.json"
    assert store_quarantined(tmp_path, "ab" * 32, "bad.json", b"other") == kept and kept.read_bytes() == b"[[["


def test_an_older_writer_state_is_rebuilt_as_keys_and_nothing_is_lost(tmp_path: Path):
    """A writer state from before 2026-12-01 (whole rows; before 2026-12 with PRIMARY KEYs too, and the user views)
    is rebuilt on open as key columns without constraints; readers and a later compaction keep every row.
    DuckDB keeps a PRIMARY KEY as an index that each insert loads whole (a load's memory grew with the table)."""
    wh = tmp_path / "wh"
    load.stage(wh, "r1", "mentions", [_mention("a1", 0), _mention("a2", 3)])
    load.stage(wh, "r1", "articles", [_article("a1")])
    load.load_run(wh, "r1")
    con = duckdb.connect(str(storage.writer_path(wh)))
    for name, rows in (("mentions", [_mention("a1", 0), _mention("a2", 3)]), ("articles", [_article("a1")])):
        con.execute(f"DROP TABLE {name}")
        con.execute(schemas.ddl(name))                          # as versions before 2026-12 created it
        con.register("old", schemas.to_arrow(name, rows))
        con.execute(f"INSERT INTO {name} SELECT {', '.join(schemas.schema(name).names)} FROM old")
        con.unregister("old")
    con.execute("CREATE VIEW events_readable AS SELECT text FROM mentions")   # a user view on a whole-row column
    keys = "SELECT table_name FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY'"
    assert {"mentions", "articles"} <= {r[0] for r in con.execute(keys).fetchall()}
    con.close()
    def rows(table: str) -> list[dict]:
        return sorted(read_snapshot(wh, table).to_pylist(), key=str)

    before = {t: rows(t) for t in ("mentions", "articles")}
    load.stage(wh, "r2", "mentions", [_mention("a2", 3), _mention("a3", 5), _mention("a3", 5)])  # one known, twice
    assert load.load_run(wh, "r2").inserted["mentions"] == 1
    con = duckdb.connect(str(storage.writer_path(wh)))
    assert {r[0] for r in con.execute(keys).fetchall()} == {"_partitions"}
    assert [r[0] for r in con.execute("DESCRIBE mentions").fetchall()] == ["mention_id", "article_id"]
    assert [r[0] for r in con.execute("DESCRIBE articles").fetchall()] == ["article_id"]
    assert con.execute("SELECT count(*), count(DISTINCT mention_id) FROM mentions").fetchall() == [(3, 3)]
    con.close()
    after = rows("mentions")
    assert [m for m in after if m["article_id"] != "a3"] == before["mentions"] and len(after) == 3
    load.compact_warehouse(wh, keep_minutes=0)
    assert rows("mentions") == after and rows("articles") == before["articles"]


def test_a_load_bigger_than_the_writer_memory_cap_is_done_again_uncapped(tmp_path: Path, monkeypatch):
    """The writer's memory cap (storage.WRITER_MEMORY_LIMIT, for the checkpoints) never fails a load: a load that
    runs out under it is rolled back and done again without it, once."""
    monkeypatch.setenv("KHABAR_WRITER_MEMORY_LIMIT", "1MB")
    attempts = []
    real = load._load_in_transaction

    def spy(*args):
        try:
            inserted = real(*args)
        except duckdb.OutOfMemoryException:
            attempts.append("out of memory")
            raise
        attempts.append("loaded")
        return inserted

    monkeypatch.setattr(load, "_load_in_transaction", spy)
    wh = tmp_path / "wh"
    load.stage(wh, "r1", "articles", [_article(f"a{i}", "متن " * 2000) for i in range(300)])
    assert load.load_run(wh, "r1").inserted["articles"] == 300
    assert attempts == ["out of memory", "loaded"]
    assert read_snapshot(wh, "articles", columns=[]).num_rows == 300
    monkeypatch.delenv("KHABAR_WRITER_MEMORY_LIMIT")
    load.stage(wh, "r2", "articles", [_article("a300")])
    assert load.load_run(wh, "r2").inserted["articles"] == 1 and attempts[-1] == "loaded"
