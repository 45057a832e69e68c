"""The warehouse contract: schemas drive DDL and validation; loading is idempotent and atomic."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import duckdb
import pyarrow.parquet as pq
import pytest

import schemas
from schemas.tables import SchemaError
from tasks import load
from warehouse import connect_readonly, db_path, read_snapshot, snapshot_path

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


def test_snapshots_mirror_tables_and_readonly_connection_cannot_write(tmp_path: Path):
    wh = tmp_path / "wh"
    load.init_warehouse(wh)
    for name in schemas.TABLES:
        assert pq.read_schema(snapshot_path(wh, name)).names == schemas.schema(name).names
    con = connect_readonly(wh)
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


def test_an_older_warehouse_gains_new_nullable_columns(tmp_path):
    """A warehouse written before a column existed (mentions.actor_code) is migrated in place, rows kept."""
    import duckdb

    from tasks.load import ensure_schema
    db = tmp_path / "old.duckdb"
    con = duckdb.connect(str(db))
    con.execute(schemas.ddl("mentions").replace('"actor_code" VARCHAR,', ""))
    con.execute("INSERT INTO mentions (mention_id, article_id, start_char, end_char, text) VALUES ('m1','a1',0,3,'abc')")
    assert "actor_code" not in {r[0] for r in con.execute("DESCRIBE mentions").fetchall()}
    ensure_schema(con)
    assert con.execute("SELECT mention_id, actor_code FROM mentions").fetchall() == [("m1", None)]
    con.close()


def test_a_migrated_warehouse_loads_and_snapshots_in_schema_order(tmp_path):
    """Added columns sit at the end of an old table; snapshots and loads still follow the schema's order."""
    import duckdb

    wh = tmp_path / "wh"
    load.init_warehouse(wh)
    con = duckdb.connect(str(db_path(wh)))
    con.execute("ALTER TABLE articles DROP COLUMN source_entity_id")   # as written by an older version
    con.close()
    load.init_warehouse(wh)                                  # migrates: source_entity_id comes back, but last
    con = duckdb.connect(str(db_path(wh)))
    assert [r[0] for r in con.execute("DESCRIBE articles").fetchall()][-1] == "source_entity_id"
    load.export_snapshots(con, wh)                           # validated against the schema: must not raise
    con.close()
    assert pq.read_schema(snapshot_path(wh, "articles")).names == schemas.schema("articles").names
