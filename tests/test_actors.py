"""Actor dictionary: data validity, CLDR countries, role-at-date codes, Wikidata import, CLI."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest
import typer
import yaml
from babel import Locale
from typer.testing import CliRunner

import schemas
from khabar.cli_actors import register
from tasks.actors import (ActorDataError, entity_lookup, import_wikidata, load_dictionary, read_actor_file,
                          validate_entry)
from tasks.link import dictionary_entity_rows
from tasks.normalize import normalize_for_match

FIXTURE = Path(__file__).parent / "fixtures" / "wikidata_sample.jsonl"


def _cli():
    app = typer.Typer()
    register(app)

    @app.callback()
    def _main() -> None:  # a callback keeps `actors` a sub-command even with one group
        pass
    return app


def test_every_data_file_validates_and_has_urdu_and_english(d):
    people = [a for a in d.actors.values() if a.type == "PERSON"]
    assert len(people) >= 40
    for a in d.actors.values():
        assert a.aliases["ur"] and a.aliases["en"], a.entity_id
        assert a.entity_id.startswith(("Q", "khabar:", "iso:")), a.entity_id
    # every role names a role defined in _roles.yaml and a known country
    for a in people:
        for r in a.roles:
            assert r.role in d.roles
            assert r.organization or r.country in d.country_by_iso3


def test_countries_come_from_cldr(d):
    ur = Locale("ur").territories
    for a2, a3 in [("KP", "PRK"), ("KR", "KOR"), ("RU", "RUS"), ("UA", "UKR"), ("JP", "JPN"), ("CN", "CHN")]:
        actor = d.actors[d.country_by_iso3[a3]]
        assert actor.type == "COUNTRY" and actor.actor_code == a3
        assert ur[a2] in actor.aliases["ur"]
    assert len(d.country_by_iso3) >= 240
    assert len(set(d.country_by_iso3)) == len(d.country_by_iso3)


def test_demonyms_point_at_countries(d):
    assert d.demonyms[normalize_for_match("روسی")] == d.country_by_iso3["RUS"]
    assert d.demonyms[normalize_for_match("یوکرائنی")] == d.country_by_iso3["UKR"]
    assert d.demonyms[normalize_for_match("امریکی")] == d.country_by_iso3["USA"]


GOOD = {"entity_id": "khabar:test_person", "name": "Test Person", "type": "PERSON", "country": "RUS",
        "aliases": {"en": ["Test Person"], "ur": ["ٹیسٹ پرسن"]}}


@pytest.mark.parametrize("change,message", [
    ({"aliases": {"en": ["Test Person"]}}, "needs aliases"),
    ({"type": "ROBOT"}, "type must be"),
    ({"entity_id": "Q12x"}, "entity_id"),
    ({"entity_id": "Q123", "wikidata_id": "Q124"}, "must equal"),
    ({"country": "RU"}, "alpha-3"),
    ({"roles": [{"role": "head_of_state", "country": "RUS", "from": "2020-01-01", "to": "2019-01-01"}]}, "ends before"),
    ({"roles": [{"role": "king", "country": "RUS"}]}, "unknown role"),
    ({"roles": [{"role": "head_of_state"}]}, "exactly one"),
    ({"nickname": "x"}, "unknown key"),
])
def test_validation_rejects_bad_entries(d, change, message):
    validate_entry(GOOD, "t", d.roles)  # the base entry is fine
    with pytest.raises(ActorDataError, match=message):
        validate_entry({**GOOD, **change}, "t", d.roles)


def test_role_at_date_codes(d):
    look = entity_lookup(d)
    assert look.code_at("Q7747", date(2023, 9, 13)) == "RUSGOV"          # president
    assert look.code_at("Q7747", date(2010, 1, 1)) == "RUSGOV"           # prime minister
    assert look.code_at("Q10990", date(2015, 1, 1)) == "PRK"             # dead, out of office
    assert look.code_at("Q10990", date(2005, 1, 1)) == "PRKGOV"
    assert look.code_at("khabar:andrey_belousov", date(2024, 11, 29)) == "RUSMIL"
    assert look.code_at("khabar:sergei_shoigu", date(2024, 11, 29)) == "RUS"
    assert look.code_at("khabar:sergei_shoigu", date(2023, 1, 1)) == "RUSMIL"
    assert look.code_at("Q649", date(2024, 1, 1)) == "RUSGOV"            # capital = government
    assert look["khabar:kcna"].actor_code == "PRKMED"
    assert look[d.country_by_iso3["PRK"]].actor_code == "PRK"
    assert look["Q7184"].actor_code == "IGOWSTNAT"
    assert look.code_at("prov:unknown", None) is None and "prov:unknown" not in look
    assert [r.role for r in look.roles_at("khabar:denys_shmyhal", date(2025, 8, 1))] == ["defence_minister"]


def test_entity_rows_fit_the_schema(d):
    rows = dictionary_entity_rows(d)
    table = schemas.to_arrow("entities", rows)
    assert table.num_rows == len(d)
    assert not any(r["is_provisional"] for r in rows)


def test_wikidata_import_reads_dump_format():
    with FIXTURE.open(encoding="utf-8") as fh:
        entries, skipped = import_wikidata(fh)
    by_id = {e["entity_id"]: e for e in entries}
    biden = by_id["Q6279"]
    assert biden["type"] == "PERSON" and biden["country"] == "USA"  # P27 -> Q30 -> P298 in the same file
    assert biden["roles"] == [{"role": "head_of_state", "country": "USA", "from": "2021-01-20", "to": "2025-01-20"}]
    assert "جوزف بائیڈن" in biden["aliases"]["ur"]
    assert by_id["Q30"]["type"] == "COUNTRY" and by_id["Q30"]["actor_code"] == "USA"
    assert by_id["Q7184"]["type"] == "ORGANIZATION"
    assert "Q42" not in by_id and any(s.startswith("Q42:") for s in skipped)      # no Urdu name
    assert "Q11696" not in by_id                                                   # a position, not an actor


def test_cli_import_grows_the_dictionary(tmp_path, d):
    out = tmp_path / "imported.yaml"
    result = CliRunner().invoke(_cli(), ["actors", "import", str(FIXTURE), "--out", str(out)])
    assert result.exit_code == 0, result.output
    entries = yaml.safe_load(out.read_text(encoding="utf-8"))
    assert [e["entity_id"] for e in entries] == ["Q999999901"]   # the others are already known
    assert "already in the dictionary" in result.output
    grown = load_dictionary([out])
    assert grown.actors["Q999999901"].country == "USA" and "Q999999901" not in d
    # importing twice changes nothing
    CliRunner().invoke(_cli(), ["actors", "import", str(FIXTURE), "--out", str(out)])
    assert len(read_actor_file(out)) == 1


def test_cli_unknown_lists_provisional_most_mentioned_first(tmp_path):
    con = duckdb.connect(str(tmp_path / "khabar.duckdb"))
    for t in ("entities", "mentions"):
        con.execute(schemas.ddl(t))
    con.execute("INSERT INTO entities VALUES ('prov:a', 'نام الف', 'PERSON', NULL, NULL, NULL, [], true),"
                "('prov:b', 'نام ب', 'PERSON', NULL, NULL, NULL, [], true),"
                "('Q7747', 'Vladimir Putin', 'PERSON', 'Q7747', 'RUS', 'RUSGOV', [], false)")
    rows = [("m1", "a1", "prov:b"), ("m2", "a2", "prov:b"), ("m3", "a1", "prov:a"), ("m4", "a1", "Q7747")]
    for mid, aid, eid in rows:
        con.execute("INSERT INTO mentions VALUES (?, ?, 0, 0, 1, 'x', 'PERSON', ?, 0.5, NULL, 'ner', 'provisional', NULL)",
                    [mid, aid, eid])
    con.close()
    result = CliRunner().invoke(_cli(), ["actors", "unknown", "--warehouse", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "Vladimir Putin" not in result.output
    assert result.output.index("prov:b") < result.output.index("prov:a")


def test_cli_unknown_without_warehouse_fails_cleanly(tmp_path):
    result = CliRunner().invoke(_cli(), ["actors", "unknown", "--warehouse", str(tmp_path / "none")])
    assert result.exit_code == 2 and "no warehouse" in result.output


G20_COUNTRIES = ["ARG", "AUS", "BRA", "CAN", "CHN", "DEU", "FRA", "GBR", "IDN", "IND", "ITA", "JPN", "KOR", "MEX",
                 "RUS", "SAU", "TUR", "USA", "ZAF"]


def test_g20_leaders_and_ministers_are_covered(d):
    """Every G20 country (and the EU's institutions) has a head of state or government, a foreign and a defence
    minister in the dictionary: removing one of them from people.yaml fails here."""
    held: dict[str, set[str]] = {}
    for a in d.actors.values():
        if a.type == "PERSON":
            for r in a.roles:
                held.setdefault(r.country or r.organization, set()).add(r.role)
    for where in [*G20_COUNTRIES, "IGOEUREEC"]:
        roles = held.get(where, set())
        assert roles & {"head_of_state", "head_of_government"}, f"{where}: no head of state or government"
        assert "foreign_minister" in roles, f"{where}: no foreign minister"
        if where != "IGOEUREEC":   # the EU has no defence minister
            assert "defence_minister" in roles, f"{where}: no defence minister"
