"""Which UN member states have a head of state, head of government, foreign and defence minister in the dictionary.

Reads the dictionary through tasks.actors.load_dictionary (CLDR countries + khabar/lang/actors/*.yaml) and prints,
per UN member (ISO 3166-1 alpha-3), who holds `head_of_state` / `head_of_government` / `foreign_minister` /
`defence_minister` of that country on a date (default 2024-07-01), then the totals for every date given (several
`--date`s: one line of totals each, the members list for the last). The member list: neither CLDR (Babel ships no
territory containment) nor _countries.yaml records UN membership, so the 193 members are listed below from the UN's
own list (un.org "Member States"); every code is checked against the CLDR-generated countries at load.

A role without a start date (`from` unknown) counts only from 2024-01-01 (UNDATED_FROM): the editors entered such
people as 2024 holders, and counting them on 2015 or 2019 would credit undated terms. Offices a member does not have
are listed, with the reason, in khabar/lang/actors/_no_office.yaml, one section per office, each member given a
reason (the whole of 2014-2025) or a list of dated periods {reason, from, to}: no army, so no defence minister; a
presidential republic or a collective government, so no head of government; a collective head of state or a vacant
presidency; a foreign or defence ministry vacant between a president's inauguration and the cabinet's swearing-in.
Such a member counts as covered for that office on the dates its entry applies to (a head of government only where
the head of state is there too, in the dictionary or listed): "n/a" in the listing, and the totals say how many of
them are counted so; the listing never hides them.

    python tools/ministers_coverage.py [--date 2024-07-01 ...] [--missing]
"""
from __future__ import annotations

import argparse
import sys
from datetime import date, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import yaml  # noqa: E402

from tasks.actors import ACTORS_DIR, ActorDictionary, load_dictionary  # noqa: E402

UN_MEMBERS = """
AFG ALB DZA AND AGO ATG ARG ARM AUS AUT AZE BHS BHR BGD BRB BLR BEL BLZ BEN BTN BOL BIH BWA BRA BRN BGR BFA BDI CPV
KHM CMR CAN CAF TCD CHL CHN COL COM COG CRI CIV HRV CUB CYP CZE PRK COD DNK DJI DMA DOM ECU EGY SLV GNQ ERI EST SWZ
ETH FJI FIN FRA GAB GMB GEO DEU GHA GRC GRD GTM GIN GNB GUY HTI HND HUN ISL IND IDN IRN IRQ IRL ISR ITA JAM JPN JOR
KAZ KEN KIR KWT KGZ LAO LVA LBN LSO LBR LBY LIE LTU LUX MDG MWI MYS MDV MLI MLT MHL MRT MUS MEX FSM MCO MNG MNE MAR
MOZ MMR NAM NRU NPL NLD NZL NIC NER NGA MKD NOR OMN PAK PLW PAN PNG PRY PER PHL POL PRT QAT KOR MDA ROU RUS RWA KNA
LCA VCT WSM SMR STP SAU SEN SRB SYC SLE SGP SVK SVN SLB SOM ZAF SSD ESP LKA SDN SUR SWE CHE SYR TJK THA TLS TGO TON
TTO TUN TUR TKM TUV UGA UKR ARE GBR TZA USA URY UZB VUT VEN VNM YEM ZMB ZWE
""".split()
assert len(UN_MEMBERS) == len(set(UN_MEMBERS)) == 193

OFFICES = ("head_of_state", "head_of_government", "foreign_minister", "defence_minister")
SHORT = {"head_of_state": "HoS", "head_of_government": "HoG", "foreign_minister": "FM", "defence_minister": "DM"}
DATES = (date(2015, 7, 1), date(2019, 7, 1), date(2024, 7, 1))
NO_OFFICE_FILE = ACTORS_DIR / "_no_office.yaml"
# A role without `from` (start unknown) was entered as a 2024 holder: it counts from this date only, so the earlier
# dates are not credited with holders nobody dated (37 such roles when this was written: Kulubaev, Mirzo, ...).
UNDATED_FROM = date(2024, 1, 1)


def _period_date(value: object, where: str) -> date | None:
    if value is None or (isinstance(value, date) and not isinstance(value, datetime)):
        return value
    raise ValueError(f"{where}: a date (YYYY-MM-DD) expected, got {value!r}")


def no_office_entries(path: Path = NO_OFFICE_FILE) -> dict[str, dict[str, list[tuple[date | None, date | None, str]]]]:
    """{office: {iso3: [(from, to, reason), ...]}} from _no_office.yaml, checked: a known office, a UN member, and
    per member either a reason (a string: no such office in any year, from/to None) or a list of dated periods
    {reason, from, to} (`to` exclusive; at least one of them given; from < to; periods in order, not overlapping)."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.exists() else {}
    out: dict[str, dict[str, list[tuple[date | None, date | None, str]]]] = {o: {} for o in OFFICES}
    for office, members in (data or {}).items():
        if office not in OFFICES:
            raise ValueError(f"{path.name}: unknown office {office!r}")
        for iso3, entry in (members or {}).items():
            where = f"{path.name}: {office}: {iso3}"
            if iso3 not in UN_MEMBERS:
                raise ValueError(f"{where}: no UN member")
            if isinstance(entry, str) and entry.strip():
                out[office][iso3] = [(None, None, entry.strip())]
                continue
            if not isinstance(entry, list) or not entry:
                raise ValueError(f"{where}: a reason or a list of {{reason, from, to}} periods expected")
            periods = []
            for p in entry:
                if (not isinstance(p, dict) or set(p) - {"reason", "from", "to"} or not str(p.get("reason") or "").strip()
                        or (p.get("from") is None and p.get("to") is None)):
                    raise ValueError(f"{where}: a period is {{reason, from, to}} with a reason and a date: {p!r}")
                start, end = _period_date(p.get("from"), where), _period_date(p.get("to"), where)
                if start and end and not start < end:
                    raise ValueError(f"{where}: period ends before it begins: {p!r}")
                periods.append((start, end, str(p["reason"]).strip()))
            for (_, e1, _), (s2, _, _) in zip(periods, periods[1:]):
                if e1 is None or s2 is None or s2 < e1:
                    raise ValueError(f"{where}: periods out of order or overlapping")
            out[office][iso3] = periods
    return out


def no_office(when: date | None = None, path: Path = NO_OFFICE_FILE) -> dict[str, dict[str, str]]:
    """{office: {iso3: reason}}: the UN members that have no such office on `when` (_no_office.yaml; any period, the
    first one's reason, if None)."""
    out: dict[str, dict[str, str]] = {o: {} for o in OFFICES}
    for office, members in no_office_entries(path).items():
        for iso3, periods in members.items():
            for start, end, reason in periods:
                if when is None or ((start is None or start <= when) and (end is None or when < end)):
                    out[office].setdefault(iso3, reason)
    return out


def coverage(dictionary: ActorDictionary | None = None, when: date = date(2024, 7, 1)) -> dict[str, dict[str, list[str]]]:
    """{iso3: {office: [names of the holders on `when`]}} for every UN member (without the _no_office.yaml ones)."""
    d = dictionary or load_dictionary()
    unknown = [c for c in UN_MEMBERS if c not in d.country_by_iso3]
    if unknown:
        raise ValueError(f"not CLDR countries: {unknown}")
    out: dict[str, dict[str, list[str]]] = {c: {o: [] for o in OFFICES} for c in UN_MEMBERS}
    for a in d.actors.values():
        for r in a.roles:
            if r.start is None and when < UNDATED_FROM:
                continue
            if r.role in OFFICES and r.country in out and r.active(when):
                out[r.country][r.role].append(a.name)
    return out


def has_head(cov: dict[str, dict[str, list[str]]], none: dict[str, dict[str, str]], iso3: str) -> bool:
    """A head of state in the dictionary, or a collective/vacant one recorded in _no_office.yaml (`none`)."""
    return bool(cov[iso3]["head_of_state"]) or iso3 in none["head_of_state"]


def counts(cov: dict[str, dict[str, list[str]]], offices: tuple[str, ...] = ("foreign_minister", "defence_minister"),
           when: date | None = None) -> dict[str, int]:
    """Members with a holder of each office on `when`. A member that _no_office.yaml lists for an office on `when`
    counts as covered; for head_of_government only when its head of state is there too (has_head). `when` None:
    _no_office.yaml is not honoured (holders only)."""
    none = no_office(when) if when is not None else {o: {} for o in OFFICES}

    def covered(iso3: str, o: str) -> bool:
        if cov[iso3][o]:
            return True
        if iso3 not in none[o]:
            return False
        return has_head(cov, none, iso3) if o == "head_of_government" else True
    return {o: sum(1 for iso3 in cov if covered(iso3, o)) for o in offices}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--date", action="append", type=date.fromisoformat,
                   help="repeatable; default " + ", ".join(map(str, DATES)) + " (members listed for the last)")
    p.add_argument("--missing", action="store_true", help="only the members lacking one of the offices")
    p.add_argument("--quiet", action="store_true", help="totals only")
    args = p.parse_args(argv)
    dates = args.date or list(DATES)
    d = load_dictionary()
    if not args.quiet:
        cov = coverage(d, dates[-1])
        none = no_office(dates[-1])
        for iso3 in sorted(cov):
            cells = [cov[iso3][o] or (["n/a"] if iso3 in none[o] and (o != "head_of_government"
                                                                      or has_head(cov, none, iso3)) else [])
                     for o in OFFICES]
            if args.missing and all(cells):
                continue
            print(f"{iso3}  " + "  ".join(f"{SHORT[o]}: {'; '.join(c) or '-':24.24}" for o, c in zip(OFFICES, cells)))
    for when in dates:
        cov = coverage(d, when)
        n, held = counts(cov, OFFICES, when), counts(cov, OFFICES)
        print(f"{when}: UN members (of 193) with " + ", ".join(
            f"{SHORT[o]} {n[o]}" + (f" (holders {held[o]}, {n[o] - held[o]} without the office)"
                                    if n[o] != held[o] else "") for o in OFFICES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
