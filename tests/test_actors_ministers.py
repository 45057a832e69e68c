"""Foreign and defence ministers (people_ministers.yaml, issue 11 item 2): data checks and role-at-date codes.
No Stanza."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from tasks.actors import ACTORS_DIR, read_actor_file
from tasks.normalize import normalize_for_match


@pytest.fixture(scope="module")
def mine(d):
    return read_actor_file(ACTORS_DIR / "people_ministers.yaml", d.roles)


def test_every_entry_is_a_foreign_or_defence_minister_of_a_country(d, mine):
    assert len(mine) >= 130
    for a in mine:
        assert a.entity_id in d.actors and a.type == "PERSON", a.entity_id
        assert a.aliases["ur"] and a.aliases["en"], a.entity_id
        offices = [r for r in a.roles if r.role in ("foreign_minister", "defence_minister")]
        assert offices, a.entity_id
        for r in offices:
            assert r.country and r.country in d.country_by_iso3, a.entity_id
        assert a.country in {r.country for r in offices}, a.entity_id


def test_aliases_are_full_names_owned_by_one_entity(d, mine):
    """A full Urdu alias has at least two words and names nothing else; a short form is no everyday word."""
    owners = defaultdict(set)
    for a in d.actors.values():
        for n in a.all_aliases():
            owners[normalize_for_match(n)].add(a.entity_id)
    for a in mine:
        for n in a.aliases["ur"]:
            assert len(n.split()) >= 2, (a.entity_id, n)
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])
        for n in a.short.get("ur", ()):
            assert normalize_for_match(n) not in d.frequent_words, (a.entity_id, n)
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])


def _by_name(d, name):
    hits = [a for a in d.actors.values() if a.name == name]
    assert len(hits) == 1, name
    return hits[0].entity_id


@pytest.mark.parametrize("name,when,code", [
    ("Philip Hammond", date(2015, 6, 1), "GBRGOV"),         # foreign secretary 2014-2016
    ("Philip Hammond", date(2013, 6, 1), "GBRMIL"),         # defence secretary before
    ("Philip Hammond", date(2024, 6, 1), "GBR"),            # out of office
    ("Nikos Dendias", date(2020, 6, 1), "GRCGOV"),          # foreign minister 2019-2023
    ("Nikos Dendias", date(2024, 6, 1), "GRCMIL"),          # defence minister from 2023
    ("Taro Kono", date(2018, 6, 1), "JPNGOV"),
    ("Taro Kono", date(2020, 6, 1), "JPNMIL"),
    ("Ramtane Lamamra", date(2015, 6, 1), "DZAGOV"),
    ("Ramtane Lamamra", date(2019, 6, 1), "DZA"),           # between his two terms
    ("Ramtane Lamamra", date(2022, 6, 1), "DZAGOV"),
    ("Ahmed Attaf", date(2024, 6, 1), "DZAGOV"),
    ("Abdel Mageed Saqr", date(2024, 10, 1), "EGYMIL"),
    ("Mohamed Ahmed Zaki", date(2024, 10, 1), "EGY"),       # succeeded by Saqr on 2024-07-03
    ("Lars Løkke Rasmussen", date(2016, 6, 1), "DNKGOV"),   # prime minister then
    ("Vladimir Padrino López", date(2015, 6, 1), "VENMIL"),
    ("Abdullah Al-Yahya", date(2015, 6, 1), "KWT"),
    # earlier offices added to entries of the other files
    ("Fumio Kishida", date(2015, 6, 1), "JPNGOV"),          # foreign minister 2012-2017
    ("Fumio Kishida", date(2019, 6, 1), "JPN"),
    ("Jean-Yves Le Drian", date(2015, 6, 1), "FRAMIL"),     # defence 2012-2017, foreign 2017-2022
    ("Jean-Yves Le Drian", date(2019, 6, 1), "FRAGOV"),
    ("Mevlüt Çavuşoğlu", date(2015, 1, 1), "TURGOV"),       # first term 2014-2015
    ("Mevlüt Çavuşoğlu", date(2015, 10, 1), "TUR"),         # Sinirlioğlu's interim
    ("Boris Johnson", date(2017, 6, 1), "GBRGOV"),
])
def test_codes_at_date(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code


# second pass (tools/ministers_coverage.py): 2024 holders for the UN members that had none
@pytest.mark.parametrize("name,when,code", [
    ("Kajsa Ollongren", date(2024, 6, 1), "NLDMIL"),        # defence until 2024-07-02
    ("Kajsa Ollongren", date(2024, 8, 1), "NLD"),
    ("Thérèse Kayikwamba Wagner", date(2024, 6, 15), "CODGOV"),
    ("Christophe Lutundula", date(2024, 6, 15), "COD"),     # succeeded on 2024-05-29
    ("Mohammed Badaru Abubakar", date(2024, 7, 1), "NGAMIL"),
    ("Khalid bin Mohammad Al Attiyah", date(2015, 6, 1), "QATGOV"),  # foreign, then defence from 2016
    ("Khalid bin Mohammad Al Attiyah", date(2020, 6, 1), "QATMIL"),
    ("Micheál Martin", date(2024, 6, 1), "IRLGOV"),         # foreign and defence: the GOV office ranks first
    ("Abdelmadjid Tebboune", date(2024, 6, 1), "DZAGOV"),   # also defence minister; head of state ranks first
    ("Þórdís Kolbrún Reykfjörð Gylfadóttir", date(2024, 6, 1), "ISLGOV"),
    ("Þórdís Kolbrún Reykfjörð Gylfadóttir", date(2025, 6, 1), "ISL"),  # succeeded on 2024-12-21
])
def test_codes_at_date_second_pass(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code


def _coverage_tool():
    import importlib.util
    from pathlib import Path
    path = Path(__file__).resolve().parent.parent / "tools" / "ministers_coverage.py"
    spec = importlib.util.spec_from_file_location("ministers_coverage", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_un_coverage_on_2024_07_01(d):
    """A deletion in any people_*.yaml shows here; raise the numbers when holders are added (holders only)."""
    mod = _coverage_tool()
    n = mod.counts(mod.coverage(d, date(2024, 7, 1)))
    assert n == {"foreign_minister": 172, "defence_minister": 120}


@pytest.mark.parametrize("when,expected", [
    # HoS, HoG, FM, DM with _no_office.yaml honoured (no army -> no defence minister; presidential -> the head of
    # state heads the government)
    (date(2015, 7, 1), (186, 184, 114, 103)),
    (date(2019, 7, 1), (190, 188, 120, 113)),
    (date(2024, 7, 1), (191, 192, 172, 142)),
])
def test_un_coverage_at_dates(d, when, expected):
    mod = _coverage_tool()
    n = mod.counts(mod.coverage(d, when), mod.OFFICES, when)
    assert tuple(n[o] for o in mod.OFFICES) == expected


def test_no_office_list_is_consistent(d):
    """A member listed without a defence minister has nobody holding one; every reason is given."""
    mod = _coverage_tool()
    none = mod.no_office()
    assert len(none["defence_minister"]) >= 15 and len(none["head_of_government"]) >= 40
    for when in (date(2015, 7, 1), date(2019, 7, 1), date(2024, 7, 1)):
        cov = mod.coverage(d, when)
        for iso3 in mod.no_office(when)["defence_minister"]:
            assert not cov[iso3]["defence_minister"], (iso3, when, cov[iso3]["defence_minister"])
    assert "TUR" not in mod.no_office(date(2015, 7, 1))["head_of_government"]      # a prime minister until 2018
    assert "TUR" in mod.no_office(date(2019, 7, 1))["head_of_government"]


def test_no_office_collective_or_vacant_head_of_state(d):
    """A collective head (CHE, SMR, BIH) or a dated vacancy (AUT 2016-07-08 to 2017-01-26) counts as covered for the
    head of state, and a collective government (CHE, SMR) for the head of government; holders never hidden."""
    mod = _coverage_tool()
    assert {"CHE", "SMR", "BIH"} <= set(mod.no_office(date(2019, 7, 1))["head_of_state"])
    assert "AUT" in mod.no_office(date(2016, 10, 1))["head_of_state"]
    assert "AUT" not in mod.no_office(date(2017, 1, 26))["head_of_state"]        # Van der Bellen from that day
    for when in (date(2015, 7, 1), date(2019, 7, 1), date(2024, 7, 1)):
        cov = mod.coverage(d, when)
        for iso3 in mod.no_office(when)["head_of_state"]:
            assert not cov[iso3]["head_of_state"], (iso3, when, cov[iso3]["head_of_state"])
        sub = {c: cov[c] for c in ("CHE", "SMR", "BIH")}
        n = mod.counts(sub, mod.OFFICES, when)
        assert n["head_of_state"] == 3 and n["head_of_government"] == 3, (when, n)
    sub = {"AUT": mod.coverage(d, date(2016, 10, 1))["AUT"]}
    assert mod.counts(sub, ("head_of_state",), date(2016, 10, 1)) == {"head_of_state": 1}
    assert mod.counts(sub, ("head_of_state",)) == {"head_of_state": 0}            # holders only
def test_no_office_vacant_head_of_state_is_dated_and_may_recur(d, tmp_path):
    """Lebanon's presidency was vacant twice (a list of dated entries): covered then, and nobody holds it then."""
    mod = _coverage_tool()
    for when, vacant in ((date(2015, 7, 1), True), (date(2019, 7, 1), False), (date(2024, 7, 1), True),
                         (date(2025, 6, 1), False)):
        assert ("LBN" in mod.no_office(when)["head_of_state"]) is vacant, when
        held = mod.coverage(d, when)["LBN"]["head_of_state"]
        assert bool(held) is not vacant, (when, held)
        assert mod.counts({"LBN": mod.coverage(d, when)["LBN"]}, mod.OFFICES, when)["head_of_state"] == 1
    bad = tmp_path / "_no_office.yaml"
    bad.write_text("head_of_state:\n  LBN:\n    - {from: 2014-05-25}\n", encoding="utf-8")
    with pytest.raises(ValueError):
        mod.no_office(path=bad)


# third pass: 2024 holders and earlier (2014-2023) heads and ministers
@pytest.mark.parametrize("name,when,code", [
    ("Angela Merkel", date(2015, 6, 1), "DEUGOV"),
    ("Angela Merkel", date(2024, 6, 1), "DEU"),
    ("Benjamin Netanyahu", date(2016, 6, 1), "ISRGOV"),      # foreign minister too: the GOV office
    ("Abdelaziz Bouteflika", date(2015, 6, 1), "DZAGOV"),    # also defence minister; head of state ranks first
    ("Abdul Hamid Dbeibeh", date(2024, 6, 1), "LBYGOV"),     # also defence minister
    ("Monica Juma", date(2019, 6, 1), "KENGOV"),
    ("Monica Juma", date(2021, 6, 1), "KENMIL"),
    ("Raychelle Omamo", date(2015, 6, 1), "KENMIL"),
    ("Stepan Poltorak", date(2016, 6, 1), "UKRMIL"),
    ("Mark Esper", date(2019, 7, 1), "USAMIL"),              # acting from 2019-06-24
    ("Mark Rutte", date(2020, 6, 1), "NLDGOV"),
    ("Mark Rutte", date(2024, 11, 1), "IGOWSTNAT"),
    ("Charles III", date(2024, 6, 1), "GBRGOV"),             # the realms' roles follow the British one
    ("Emmanuel Macron", date(2024, 6, 1), "FRAGOV"),         # co-prince of Andorra second
    ("Aziz Akhannouch", date(2024, 6, 1), "MARGOV"),
    ("Abdelilah Benkirane", date(2024, 6, 1), "MAR"),
    ("Dimitar Glavchev", date(2024, 6, 1), "BGRGOV"),
    ("Frans Kapofi", date(2024, 6, 1), "NAMMIL"),
])
def test_codes_at_date_third_pass(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code


# Europe (people_offices_europe.yaml): the 44 European members' four offices 2014-2025
EUROPE = set("ALB AND AUT BLR BEL BIH BGR HRV CYP CZE DNK EST FIN FRA DEU GRC HUN ISL IRL ITA LVA LIE LTU LUX MLT MDA "
             "MCO MNE NLD MKD NOR POL PRT ROU RUS SMR SRB SVK SVN ESP SWE CHE UKR GBR".split())


def test_europe_entries_hold_an_office_and_own_their_aliases(d):
    owners = defaultdict(set)
    for a in d.actors.values():
        for n in a.all_aliases():
            owners[normalize_for_match(n)].add(a.entity_id)
    europe = read_actor_file(ACTORS_DIR / "people_offices_europe.yaml", d.roles)
    assert len(europe) >= 250
    offices = ("head_of_state", "head_of_government", "foreign_minister", "defence_minister")
    for a in europe:
        assert a.type == "PERSON" and a.country in EUROPE, a.entity_id
        assert any(r.role in offices and r.country in EUROPE for r in a.roles), a.entity_id
        for n in a.aliases["ur"]:
            assert len(n.split()) >= 2, (a.entity_id, n)
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])
        for n in a.short.get("ur", ()):
            assert normalize_for_match(n) not in d.frequent_words, (a.entity_id, n)
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])


@pytest.mark.parametrize("name,when,code", [
    ("Karin Kneissl", date(2018, 6, 1), "AUTGOV"),
    ("Hans Peter Doskozil", date(2016, 6, 1), "AUTMIL"),
    ("Viktor Khrenin", date(2020, 6, 1), "BLRMIL"),           # from 2020-01-20
    ("Margarita Robles", date(2019, 12, 15), "ESPGOV"),       # acting foreign minister too
    ("Margarita Robles", date(2020, 6, 1), "ESPMIL"),
    ("Ilie Bolojan", date(2025, 3, 1), "ROUGOV"),             # acting president
    ("Ivica Dačić", date(2013, 6, 1), "SRBGOV"),
    ("Miloš Vučević", date(2023, 6, 1), "SRBMIL"),
    ("Simon Coveney", date(2021, 6, 1), "IRLGOV"),            # foreign and defence: the GOV office ranks first
])
def test_codes_at_date_europe(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code


def test_no_office_head_of_state(d, tmp_path):
    """A collective or vacant head of state (_no_office.yaml `head_of_state`, dated) counts as covered, and lets a
    presidential member's head of government count; outside its dates it does not."""
    mod = _coverage_tool()
    assert "HTI" in mod.no_office(date(2024, 7, 1))["head_of_state"]
    assert "HTI" not in mod.no_office(date(2019, 7, 1))["head_of_state"]            # Moïse until 2021-07-07
    assert not mod.coverage(d, date(2024, 7, 1))["HTI"]["head_of_state"]
    f = tmp_path / "no.yaml"
    f.write_text("head_of_state:\n  CHE: {reason: collective, from: 2020-01-01}\nhead_of_government:\n  CHE: collective\n",
                 encoding="utf-8")
    none = mod.no_office(date(2024, 7, 1), f)
    assert none["head_of_state"] == {"CHE": "collective"} and none["head_of_government"] == {"CHE": "collective"}
    assert mod.no_office(date(2019, 7, 1), f)["head_of_state"] == {}
    cov = {"CHE": {o: [] for o in mod.OFFICES}}
    real = mod.no_office
    mod.no_office = lambda when=None, path=f: real(when, path)
    try:
        n = mod.counts(cov, mod.OFFICES, date(2024, 7, 1))
        assert n["head_of_state"] == 1 and n["head_of_government"] == 1 and n["foreign_minister"] == 0
        assert mod.counts(cov, mod.OFFICES, date(2019, 7, 1))["head_of_government"] == 0
    finally:
        mod.no_office = real


# Americas and Oceania pass (people_offices_americas.yaml)
@pytest.mark.parametrize("name,when,code", [
    ("Guillermo Lasso", date(2022, 6, 1), "ECUGOV"),
    ("Agustín Rossi", date(2015, 6, 1), "ARGMIL"),
    ("Agustín Rossi", date(2018, 6, 1), "ARG"),              # between his two terms
    ("Horace Chang", date(2019, 7, 1), "JAMMIL"),            # national security minister (the defence force)
    ("Mia Mottley", date(2024, 6, 1), "BRBGOV"),             # also defence; head of government ranks first
    ("Tuilaepa Sailele Malielegaoi", date(2019, 6, 1), "WSMGOV"),
    ("Pedro Cateriano", date(2014, 6, 1), "PERMIL"),
])
def test_codes_at_date_americas(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code


# African members' four offices (people_offices_africa.yaml; roles added to other files' entries)
AFRICA = set("""DZA AGO BEN BWA BFA BDI CPV CMR CAF TCD COM COG CIV COD DJI EGY GNQ ERI SWZ ETH GAB GMB GHA GIN GNB KEN LSO
LBR LBY MDG MWI MLI MRT MUS MAR MOZ NAM NER NGA RWA STP SEN SYC SLE SOM ZAF SSD SDN TGO TUN UGA TZA ZMB ZWE""".split())


@pytest.fixture(scope="module")
def africa(d):
    return read_actor_file(ACTORS_DIR / "people_offices_africa.yaml", d.roles)


def test_africa_entries_hold_an_office_and_own_their_aliases(d, africa):
    """Every entry holds one of the four offices of an African member; a full Urdu alias has two words or more and
    names nothing else; a short form is no everyday word and names nothing else."""
    assert len(africa) >= 200
    owners = defaultdict(set)
    for a in d.actors.values():
        for n in a.all_aliases():
            owners[normalize_for_match(n)].add(a.entity_id)
    for a in africa:
        assert a.entity_id in d.actors and a.type == "PERSON" and a.country in AFRICA, a.entity_id
        offices = [r for r in a.roles if r.role in ("head_of_state", "head_of_government", "foreign_minister",
                                                    "defence_minister")]
        assert offices and a.country in {r.country for r in offices}, a.entity_id
        for n in a.aliases["ur"]:
            assert len(n.split()) >= 2, (a.entity_id, n)
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])
        for n in a.short.get("ur", ()):
            assert normalize_for_match(n) not in d.frequent_words, (a.entity_id, n)
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])


@pytest.mark.parametrize("name,when,code", [
    ("Hamed Bakayoko", date(2019, 6, 1), "CIVMIL"),
    ("Hamed Bakayoko", date(2020, 10, 1), "CIVGOV"),         # prime minister and defence: the GOV office first
    ("Stergomena Tax", date(2023, 1, 1), "TZAGOV"),          # foreign 2022-2023 between two defence terms
    ("Stergomena Tax", date(2024, 1, 1), "TZAMIL"),
    ("Awad Ibn Auf", date(2016, 6, 1), "SDNMIL"),
    ("Sidiki Kaba", date(2018, 6, 1), "SENGOV"),
    ("Sidiki Kaba", date(2020, 6, 1), "SENMIL"),
    ("Abdelmadjid Tebboune", date(2017, 6, 1), "DZAGOV"),    # prime minister May-August 2017
    ("Fayez al-Sarraj", date(2019, 6, 1), "LBYGOV"),
    ("Adriano Maleiane", date(2022, 6, 1), "MOZGOV"),        # prime minister from 2022-03-03
    ("Moncef Marzouki", date(2015, 6, 1), "TUN"),
    ("Moussa Faki Mahamat", date(2016, 6, 1), "TCDGOV"),
    ("Moussa Faki Mahamat", date(2020, 6, 1), "IGOAFRAFU"),  # chairperson of the AU Commission 2017-2025
    ("Mahmoud Ali Youssouf", date(2025, 6, 1), "IGOAFRAFU"),
])
def test_codes_at_date_africa(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code


def test_no_office_vacancies_and_periods():
    """An entry may be a list of dated periods; a vacancy (Nigeria without a cabinet) counts on its dates only."""
    mod = _coverage_tool()
    for when, inside in ((date(2015, 7, 1), True), (date(2016, 7, 1), False), (date(2019, 7, 1), True),
                         (date(2023, 7, 1), True), (date(2024, 7, 1), False)):
        none = mod.no_office(when)
        assert ("NGA" in none["foreign_minister"]) is inside and ("NGA" in none["defence_minister"]) is inside
    assert "SDN" in mod.no_office(date(2015, 7, 1))["head_of_government"]
    assert "SDN" not in mod.no_office(date(2018, 7, 1))["head_of_government"]   # Bakri Hassan Saleh, Motazz Moussa
    assert "SDN" in mod.no_office(date(2019, 7, 1))["head_of_government"]       # the military council
    assert "SDN" not in mod.no_office(date(2020, 7, 1))["head_of_government"]   # Hamdok
