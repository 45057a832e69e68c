"""World actors (organizations_world.yaml, people_world.yaml, people_2024.yaml, people_heads_of_state.yaml): data
checks and role-at-date codes. No Stanza."""
from __future__ import annotations

from collections import defaultdict
from datetime import date

import pytest

from tasks.actors import ACTORS_DIR, read_actor_file
from tasks.normalize import normalize_for_match

FILES = ("organizations_world.yaml", "people_world.yaml", "people_2024.yaml", "people_heads_of_state.yaml")


@pytest.fixture(scope="module")
def mine(d):
    return [a for f in FILES for a in read_actor_file(ACTORS_DIR / f, d.roles)]


def _by_name(d, name):
    hits = [a for a in d.actors.values() if a.name == name]
    assert len(hits) == 1, name
    return hits[0].entity_id


def test_files_load_with_urdu_english_and_codes(d, mine):
    assert len(mine) >= 250
    for a in mine:
        assert a.entity_id in d.actors
        assert a.aliases["ur"] and a.aliases["en"], a.entity_id
        if a.type == "ORGANIZATION":
            code = a.actor_code or ""
            assert code.startswith(("IGO", "NGO")) or code[:3] == a.country, a.entity_id


def test_no_full_urdu_alias_names_two_entities(d, mine):
    """A full alias (not a short form) of a world actor names nothing else in the dictionary."""
    owners = defaultdict(set)
    for a in d.actors.values():
        for n in a.aliases.get("ur", ()):
            owners[normalize_for_match(n)].add(a.entity_id)
    for a in mine:
        for n in a.aliases["ur"]:
            assert owners[normalize_for_match(n)] == {a.entity_id}, (n, owners[normalize_for_match(n)])


@pytest.mark.parametrize("alias", [
    "آئی سی سی",        # the International Cricket Council in Urdu sport news, not the ICC court
    "کامن ویلتھ",       # the Commonwealth Games
    "عالمی عدالت",      # either court: ICJ or ICC
    "فارن آفس",         # Pakistan's Foreign Office as often as Britain's
    "تو لام",           # تو "then" + لام: To Lam is spelt ٹو لام
    "کریم خان",         # an everyday Pakistani name: the ICC prosecutor only as a short form
    "صدر جاپاروف",      # صدر is the role word "president"
])
def test_ambiguous_urdu_forms_are_not_full_aliases(mine, alias):
    key = normalize_for_match(alias)
    assert not any(key == normalize_for_match(n) for a in mine for n in a.aliases["ur"]), alias


@pytest.mark.parametrize("name, when, code", [
    ("United States Department of Defense", date(2014, 8, 10), "USAMIL"),
    ("White House", date(2024, 5, 1), "USAGOV"),
    ("United States Department of State", date(2014, 8, 20), "USAGOV"),
    ("Standing Committee of the National People's Congress", date(2014, 8, 31), "CHNLEG"),
    ("International Security Assistance Force", date(2014, 3, 1), "IGOWSTNAT"),
    ("International Atomic Energy Agency", date(2024, 6, 1), "IGOUNOIAE"),
    ("Al Jazeera", date(2024, 6, 1), "QATMED"),
    ("Kamala Harris", date(2018, 6, 1), "USALEG"),
    ("Kamala Harris", date(2022, 6, 1), "USAGOV"),
    ("Kamala Harris", date(2025, 6, 1), "USA"),
    ("Ban Ki-moon", date(2014, 9, 24), "IGOUNO"),
    ("Ban Ki-moon", date(2018, 1, 1), "KOR"),
    ("Rafael Grossi", date(2024, 11, 21), "IGOUNOIAE"),
    ("Petro Poroshenko", date(2015, 1, 1), "UKRGOV"),
    ("Petro Poroshenko", date(2020, 1, 1), "UKR"),
    ("Donald Tusk", date(2016, 1, 1), "IGOEUREEC"),
    ("Donald Tusk", date(2024, 1, 1), "POLGOV"),
    ("Abdel Fattah al-Burhan", date(2024, 1, 1), "SDNGOV"),
    ("Mohamed Hamdan Dagalo", date(2024, 1, 1), "SDNREB"),
    ("Marie Harf", date(2014, 8, 20), "USAGOV"),
    ("Dmitry Peskov", date(2024, 11, 20), "RUSGOV"),
    ("Mohamed Muizzu", date(2024, 6, 1), "MDVGOV"),
    ("Robert Fico", date(2020, 6, 1), "SVK"),
    ("Robert Fico", date(2024, 6, 1), "SVKGOV"),
    ("Pope Francis", date(2024, 6, 1), "VATGOV"),
    ("Matt Gaetz", date(2020, 6, 1), "USALEG"),
    ("Doug Burgum", date(2025, 6, 1), "USAGOV"),
    ("Abu Obaida", date(2024, 11, 1), "PSEREBHMS"),
    ("Mohammad Ghazi al-Jalali", date(2024, 10, 1), "SYRGOV"),
    ("Edgars Rinkēvičs", date(2015, 1, 1), "LVAGOV"),     # foreign minister then, president from 2023
    ("Bassirou Diomaye Faye", date(2024, 6, 1), "SENGOV"),
    ("Macky Sall", date(2024, 6, 1), "SEN"),
    ("Garry Conille", date(2024, 7, 1), "HTIGOV"),
])
def test_codes_at_date(d, lookup, name, when, code):
    assert lookup.code_at(_by_name(d, name), when) == code
