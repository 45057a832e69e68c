"""Which UN member states have a foreign minister and a defence minister in the actor dictionary on a date.

Reads the dictionary through tasks.actors.load_dictionary (CLDR countries + khabar/lang/actors/*.yaml) and prints,
per UN member (ISO 3166-1 alpha-3), whether someone holds `foreign_minister` / `defence_minister` of that country on
the date (default 2024-07-01), then the totals. The member list: neither CLDR (Babel ships no territory
containment) nor _countries.yaml records UN membership, so the 193 members are listed below from the UN's own list
(un.org "Member States"); every code is checked against the CLDR-generated countries at load.

    python tools/ministers_coverage.py [--date 2024-07-01] [--missing]
"""
from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.actors import ActorDictionary, load_dictionary  # noqa: E402

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

OFFICES = ("foreign_minister", "defence_minister")


def coverage(dictionary: ActorDictionary | None = None, when: date = date(2024, 7, 1)) -> dict[str, dict[str, list[str]]]:
    """{iso3: {office: [names of the holders on `when`]}} for every UN member."""
    d = dictionary or load_dictionary()
    unknown = [c for c in UN_MEMBERS if c not in d.country_by_iso3]
    if unknown:
        raise ValueError(f"not CLDR countries: {unknown}")
    out: dict[str, dict[str, list[str]]] = {c: {o: [] for o in OFFICES} for c in UN_MEMBERS}
    for a in d.actors.values():
        for r in a.roles:
            if r.role in OFFICES and r.country in out and r.active(when):
                out[r.country][r.role].append(a.name)
    return out


def counts(cov: dict[str, dict[str, list[str]]]) -> dict[str, int]:
    return {o: sum(1 for c in cov.values() if c[o]) for o in OFFICES}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--date", default="2024-07-01", type=date.fromisoformat)
    p.add_argument("--missing", action="store_true", help="only the members lacking one of the two offices")
    args = p.parse_args(argv)
    cov = coverage(when=args.date)
    for iso3 in sorted(cov):
        fm, dm = cov[iso3]["foreign_minister"], cov[iso3]["defence_minister"]
        if args.missing and fm and dm:
            continue
        print(f"{iso3}  FM: {'; '.join(fm) or '-':40.40}  DM: {'; '.join(dm) or '-'}")
    n = counts(cov)
    print(f"{args.date}: UN members with a foreign minister {n['foreign_minister']}/193, "
          f"with a defence minister {n['defence_minister']}/193")
    return 0


if __name__ == "__main__":
    sys.exit(main())
