"""The main job on the seed articles, end to end: real Prefect flow, real Stanza models, real DuckDB.

Asserts what the issues promise a user on these three articles, and that every SQL example in the README runs.
"""
from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from flows.pipeline import etl
from warehouse import db_path

README = Path(__file__).resolve().parent.parent / "README.md"


@pytest.fixture(scope="module")
def seeds_run(seeds_dir: Path, stanza_dir: Path, tmp_path_factory: pytest.TempPathFactory):
    wh = tmp_path_factory.mktemp("seeds") / "wh"
    settings = {"warehouse": str(wh), "models_dir": str(stanza_dir), "workers": 1}
    first = etl([str(seeds_dir)], settings=settings)
    second = etl([str(seeds_dir)], settings=settings)
    con = duckdb.connect(str(db_path(wh)), read_only=True)
    yield first, second, con
    con.close()


def rows(con, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_every_stage_filled_its_tables(seeds_run):
    first, _, con = seeds_run
    for table in ("articles", "sentences", "tokens", "mentions", "entities", "events", "relations", "parses"):
        assert rows(con, f"SELECT count(*) FROM {table}")[0][0] > 0, table
    assert rows(con, "SELECT DISTINCT nlp_status FROM articles") == [("parsed",)]
    assert first["counts"]["articles"] == 3
    # the summary counts the entities the run mentioned, not the whole dictionary the table carries
    assert first["counts"]["entities"] == rows(con, "SELECT count(DISTINCT entity_id) FROM mentions")[0][0]
    assert first["counts"]["entities"] < rows(con, "SELECT count(*) FROM entities")[0][0]


def test_second_run_parses_nothing_and_changes_nothing(seeds_run):
    first, second, con = seeds_run
    assert first["counts"]["parses"] == 3
    assert second["counts"]["parses"] == 0  # every article came from the parse cache
    assert rows(con, "SELECT count(*) FROM parses")[0][0] == 3
    for table in ("articles", "mentions", "events", "relations", "tokens"):
        assert second["totals"][table] == first["totals"][table], table
    assert rows(con, "SELECT count(*) FROM runs")[0][0] == 2


def test_offsets_index_into_article_text(seeds_run):
    _, _, con = seeds_run
    bad = rows(con, """
        SELECT count(*) FROM mentions m JOIN articles a USING (article_id)
        WHERE substr(a.text, m.start_char + 1, m.end_char - m.start_char) <> m.text""")
    assert bad == [(0,)]
    bad_tokens = rows(con, """
        SELECT count(*) FROM tokens t JOIN articles a USING (article_id)
        WHERE substr(a.text, t.start_char + 1, t.end_char - t.start_char) <> t.text""")
    assert bad_tokens == [(0,)]


def test_one_person_many_spellings_and_no_wrong_merge(seeds_run):
    _, _, con = seeds_run
    kim = rows(con, """SELECT count(DISTINCT m.text), count(DISTINCT m.article_id) FROM mentions m
                       JOIN entities e USING (entity_id) WHERE e.canonical_name = 'Kim Jong Un'""")[0]
    assert kim[0] >= 4 and kim[1] == 3
    kim_texts = {r[0] for r in rows(con, """SELECT m.text FROM mentions m JOIN entities e USING (entity_id)
                                          WHERE e.canonical_name = 'Kim Jong Un'""")}
    assert not any("ڈے" in t for t in kim_texts)  # Kim Jong-dae is someone else
    assert rows(con, """SELECT count(*) FROM mentions m JOIN entities e USING (entity_id)
                        WHERE e.canonical_name = 'Vladimir Putin' AND m.text LIKE '%زیلنسکی%'""") == [(0,)]


def has_event(con, actor1: str, code: str, actor2: str | None = None) -> bool:
    """actor codes by prefix (PRK matches PRKGOV); code by prefix (04 matches 040-046)."""
    sql = ("SELECT count(*) FROM events WHERE NOT is_negated AND starts_with(actor1_code, ?) "
           "AND starts_with(event_code, ?)")
    args = [actor1, code]
    if actor2 is not None:
        sql += " AND starts_with(actor2_code, ?)"
        args.append(actor2)
    return con.execute(sql, args).fetchone()[0] > 0


@pytest.mark.parametrize("actor1, code, actor2, what", [
    ("PRK", "036", "RUS", "Kim invites Putin"),
    ("RUS", "036", None, "Putin accepts the invitation"),
    ("PRK", "04", "RUS", "Kim and Putin meet"),
    ("PRK", "057", "RUS", "North Korea signs/ratifies the defence treaty with Russia"),
    ("RUS", "057", None, "Putin signs the treaty"),
    ("KOR", "11", None, "South Korea's ruling party criticises"),
    ("JPN", "13", None, "Japan warns"),
    ("USA", "112", "PRK", "Washington accuses North Korea"),
    ("KOR", "112", "PRK", "Seoul accuses North Korea"),
    ("UKR", "112", "PRK", "Kyiv accuses North Korea"),
    ("RUS", "04", "PRK", "Belousov meets Kim"),
])
def test_required_seed_events(seeds_run, actor1, code, actor2, what):
    _, _, con = seeds_run
    assert has_event(con, actor1, code, actor2), what


def test_news_agencies_are_sources_not_actors(seeds_run):
    _, _, con = seeds_run
    assert rows(con, "SELECT count(*) FROM events WHERE actor1_code LIKE '%MED'") == [(0,)]


def test_readme_sql_examples_run(seeds_run):
    _, _, con = seeds_run
    blocks = re.findall(r"```sql\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert len(blocks) >= 5
    for block in blocks:
        for statement in filter(None, (s.strip() for s in block.split(";"))):
            statement = re.sub(r"--[^\n]*", "", statement).strip()
            if statement:
                assert con.execute(statement).fetchall(), statement[:80]
