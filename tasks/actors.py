"""Actor dictionary: load, validate, look up, and grow from Wikidata.

Actor knowledge is data (khabar/lang/actors/*.yaml, schema in khabar/lang/actors_schema.md); this module
only reads it. Countries are not typed by hand: they are generated from CLDR through Babel (Urdu and English
names, alpha-3 codes from CLDR's territory aliases), with khabar/lang/actors/_countries.yaml adding QIDs and
everyday aliases. Adding an actor is a data change; ``validate_entry`` tells you what is wrong with it.
"""
from __future__ import annotations

import gc
import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping, Sequence

import yaml
from babel import Locale
from babel.core import get_global

from tasks.normalize import normalize_for_match
from tasks.yamlload import load_yaml

LANG_DIR = Path(__file__).resolve().parent.parent / "khabar" / "lang"
ACTORS_DIR = LANG_DIR / "actors"

ENTITY_TYPES = {"PERSON", "ORGANIZATION", "COUNTRY", "CITY", "LOCATION"}
ENTRY_KEYS = {"entity_id", "wikidata_id", "name", "type", "country", "actor_code", "roles", "aliases", "short",
              "born", "died", "capital_of"}
ROLE_KEYS = {"role", "country", "organization", "from", "to"}
_QID = re.compile(r"^Q[1-9][0-9]*$")
_LOCAL_ID = re.compile(r"^(khabar|iso|wd):[a-z0-9_]+$|^iso:[A-Z]{3}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
# CAMEO actor codes are 3-letter blocks (country/IGO, then role/sector codes), or empty for none.
_CAMEO = re.compile(r"^([A-Z]{3})+$")
# Seniority when a person holds several roles at once: the most senior decides the actor code.
ROLE_RANK = ["head_of_state", "head_of_government", "secretary_general", "foreign_minister", "defence_minister",
             "interior_minister", "army_chief", "chief_justice", "minister", "chief_minister", "governor",
             "opposition_leader", "legislator"]


class ActorDataError(ValueError):
    """An actor data file breaks the schema; the message names the file and entry."""


@dataclass(frozen=True)
class Role:
    role: str
    country: str | None = None        # ISO alpha-3 of the state whose office it is
    organization: str | None = None   # CAMEO code of the IGO whose office it is (IGOUNO)
    start: date | None = None
    end: date | None = None           # exclusive: the day the next holder took over

    def active(self, when: date | None) -> bool:
        if when is None:
            return self.end is None
        return (self.start is None or self.start <= when) and (self.end is None or when < self.end)


@dataclass(frozen=True)
class RoleDef:
    key: str
    sector: str
    words: Mapping[str, tuple[str, ...]]
    generic: bool = False
    matches: tuple[str, ...] = ()


@dataclass(frozen=True)
class Actor:
    entity_id: str
    name: str
    type: str
    wikidata_id: str | None = None
    country: str | None = None
    actor_code: str | None = None
    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    short: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    roles: tuple[Role, ...] = ()
    born: date | None = None
    died: date | None = None
    capital_of: str | None = None
    source: str = ""

    def all_aliases(self) -> list[str]:
        seen: dict[str, None] = {}
        for table in (self.aliases, self.short):
            for names in table.values():
                for n in names:
                    seen.setdefault(n, None)
        return list(seen)

    def alive_on(self, when: date | None) -> bool:
        if when is None:
            return True
        return (self.born is None or self.born <= when) and (self.died is None or when <= self.died)


@dataclass
class ActorDictionary:
    actors: dict[str, Actor]
    roles: dict[str, RoleDef]
    demonyms: dict[str, str]                # normalised Urdu demonym -> country entity_id
    demonyms_need_context: dict[str, str]   # demonyms that are also common words
    country_by_iso3: dict[str, str]         # ISO alpha-3 -> country entity_id
    confusables: dict[str, Any]
    context: dict[str, Any]                 # khabar/lang/ur/name_context.yaml
    frequent_words: frozenset[str] = frozenset()  # everyday words never fuzzy-linked (frequent_words.txt)
    sources: tuple[Path, ...] = ()          # the actor files it was built from (load_dictionary); keys link's index cache

    def __len__(self) -> int:
        return len(self.actors)

    def __contains__(self, entity_id: object) -> bool:
        return entity_id in self.actors

    def get(self, entity_id: str) -> Actor | None:
        return self.actors.get(entity_id)


# ----------------------------------------------------------------------------------------------- loading

def _date(value: Any, where: str) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ActorDataError(f"{where}: bad date {value!r} (use YYYY-MM-DD)") from exc


def _names(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ActorDataError(f"{where}: must map a language code to a list of names")
    out: dict[str, tuple[str, ...]] = {}
    for lang, names in value.items():
        if not (isinstance(lang, str) and re.fullmatch(r"[a-z]{2,3}", lang)):
            raise ActorDataError(f"{where}: bad language code {lang!r}")
        if isinstance(names, str):
            names = [names]
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip() for n in names):
            raise ActorDataError(f"{where}.{lang}: must be a list of non-empty strings")
        out[lang] = tuple(n.strip() for n in names)
    return out


def validate_entry(entry: Any, where: str, roles: Mapping[str, RoleDef] | None = None) -> Actor:
    """Check one actor entry against the schema and return it as an Actor (raises ActorDataError)."""
    if not isinstance(entry, dict):
        raise ActorDataError(f"{where}: an entry must be a mapping")
    unknown = set(entry) - ENTRY_KEYS
    if unknown:
        raise ActorDataError(f"{where}: unknown key(s) {sorted(unknown)}")
    for key in ("entity_id", "name", "type"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ActorDataError(f"{where}: '{key}' is required")
    eid = entry["entity_id"]
    where = f"{where} ({eid})"
    wid = entry.get("wikidata_id")
    if wid is not None and not _QID.match(str(wid)):
        raise ActorDataError(f"{where}: wikidata_id {wid!r} is not a QID")
    if _QID.match(eid):
        if wid != eid:
            raise ActorDataError(f"{where}: a QID entity_id must equal its wikidata_id")
    elif not _LOCAL_ID.match(eid):
        raise ActorDataError(f"{where}: entity_id must be a QID or khabar:<slug>")
    if entry["type"] not in ENTITY_TYPES:
        raise ActorDataError(f"{where}: type must be one of {sorted(ENTITY_TYPES)}")
    for key in ("country", "capital_of"):
        if entry.get(key) is not None and not _ISO3.match(str(entry[key])):
            raise ActorDataError(f"{where}: {key} must be ISO 3166-1 alpha-3")
    code = entry.get("actor_code")
    if code is not None and code != "" and not _CAMEO.match(str(code)):
        raise ActorDataError(f"{where}: actor_code {code!r} is not a CAMEO code")
    aliases = _names(entry.get("aliases"), f"{where}.aliases")
    short = _names(entry.get("short"), f"{where}.short")
    if not aliases.get("ur") or not aliases.get("en"):
        raise ActorDataError(f"{where}: needs aliases in 'ur' and 'en'")
    role_list = entry.get("roles") or []
    if not isinstance(role_list, list):
        raise ActorDataError(f"{where}: roles must be a list")
    parsed_roles = []
    for i, r in enumerate(role_list):
        rw = f"{where}.roles[{i}]"
        if not isinstance(r, dict) or set(r) - ROLE_KEYS or "role" not in r:
            raise ActorDataError(f"{rw}: needs 'role' and only {sorted(ROLE_KEYS)}")
        if roles is not None and r["role"] not in roles:
            raise ActorDataError(f"{rw}: unknown role {r['role']!r} (see _roles.yaml)")
        if bool(r.get("country")) == bool(r.get("organization")):
            raise ActorDataError(f"{rw}: give exactly one of country (alpha-3) or organization (CAMEO code)")
        if r.get("country") and not _ISO3.match(r["country"]):
            raise ActorDataError(f"{rw}: country must be alpha-3")
        start, end = _date(r.get("from"), rw), _date(r.get("to"), rw)
        if start and end and end < start:
            raise ActorDataError(f"{rw}: ends before it starts")
        parsed_roles.append(Role(r["role"], r.get("country"), r.get("organization"), start, end))
    return Actor(
        entity_id=eid, name=entry["name"].strip(), type=entry["type"], wikidata_id=wid,
        country=entry.get("country"), actor_code=code, aliases=aliases, short=short, roles=tuple(parsed_roles),
        born=_date(entry.get("born"), where), died=_date(entry.get("died"), where),
        capital_of=entry.get("capital_of"), source=where.split(" ")[0],
    )


def _read_yaml(path: Path) -> Any:
    try:
        return load_yaml(path)
    except yaml.YAMLError as exc:
        raise ActorDataError(f"{path}: not valid YAML: {exc}") from exc


def load_roles(path: Path = ACTORS_DIR / "_roles.yaml") -> dict[str, RoleDef]:
    raw = _read_yaml(path) or {}
    out = {}
    for key, spec in raw.items():
        if not isinstance(spec, dict) or "sector" not in spec or "words" not in spec:
            raise ActorDataError(f"{path}: role {key!r} needs sector and words")
        out[key] = RoleDef(key, spec["sector"] or "", _names(spec["words"], f"{path}:{key}.words"),
                           bool(spec.get("generic")), tuple(spec.get("matches") or ()))
    return out


def iso_alpha3_table(deprecated: Iterable[str] = ()) -> dict[str, str]:
    """ISO 3166-1 alpha-2 -> alpha-3 from CLDR's territory aliases (CLDR lists each alpha-3 as an alias)."""
    skip = set(deprecated)
    table: dict[str, str] = {}
    for alias, targets in get_global("territory_aliases").items():
        if len(alias) == 3 and alias.isalpha() and len(targets) == 1 and alias not in skip:
            a2 = targets[0]
            if a2 in table and table[a2] != alias:
                raise ActorDataError(f"CLDR gives two alpha-3 codes for {a2}: {table[a2]}, {alias}; "
                                     "add the withdrawn one to deprecated_alpha3 in _countries.yaml")
            table[a2] = alias
    return table


def country_actors(path: Path = ACTORS_DIR / "_countries.yaml") -> list[Actor]:
    """One COUNTRY actor per ISO country known to CLDR, named from Babel in Urdu and English."""
    raw = _read_yaml(path) or {}
    overrides = raw.get("overrides") or {}
    alpha3 = iso_alpha3_table(raw.get("deprecated_alpha3") or [])
    ur, en = Locale("ur").territories, Locale("en").territories
    out = []
    for a2, a3 in sorted(alpha3.items()):
        if a2 not in ur or a2 not in en:
            continue
        extra = overrides.get(a3) or {}
        wid = extra.get("wikidata_id")
        aliases = {"ur": [ur[a2]], "en": [en[a2]]}
        for lang, names in (extra.get("aliases") or {}).items():
            for n in names:
                if n not in aliases.setdefault(lang, []):
                    aliases[lang].append(n)
        entry = {"entity_id": wid or f"iso:{a3}", "wikidata_id": wid, "name": en[a2], "type": "COUNTRY",
                 "country": a3, "actor_code": extra.get("actor_code", a3), "aliases": aliases}
        out.append(validate_entry(entry, f"{path.name}:{a3}"))
    unknown = set(overrides) - set(alpha3.values())
    if unknown:
        raise ActorDataError(f"{path}: overrides for unknown alpha-3 codes {sorted(unknown)}")
    return out


def _actor_files(extra_paths: Sequence[Path]) -> list[Path]:
    files = sorted(p for p in ACTORS_DIR.glob("*.yaml") if not p.name.startswith("_"))
    for p in extra_paths:
        p = Path(p)
        files.extend(sorted(q for q in p.glob("*.yaml") if not q.name.startswith("_")) if p.is_dir() else [p])
    return files


def read_actor_file(path: Path, roles: Mapping[str, RoleDef] | None = None) -> list[Actor]:
    raw = _read_yaml(path)
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise ActorDataError(f"{path}: must be a YAML list of actor entries")
    return [validate_entry(e, f"{path.name}[{i}]", roles) for i, e in enumerate(raw)]


def _build(files: tuple[Path, ...]) -> ActorDictionary:
    roles = load_roles()
    actors: dict[str, Actor] = {}
    for actor in country_actors():
        actors[actor.entity_id] = actor
    country_by_iso3 = {a.country: a.entity_id for a in actors.values() if a.type == "COUNTRY" and a.country}
    for path in files:
        for actor in read_actor_file(path, roles):
            if actor.entity_id in actors:
                raise ActorDataError(f"{actor.source}: duplicate entity_id {actor.entity_id}")
            for code in filter(None, [actor.country, actor.capital_of, *(r.country for r in actor.roles)]):
                if code not in country_by_iso3:
                    raise ActorDataError(f"{actor.source}: unknown country {code}")
            actors[actor.entity_id] = actor
    demonym_data = _read_yaml(LANG_DIR / "ur" / "demonyms.yaml") or {}

    def demonym_map(section: str) -> dict[str, str]:
        out = {}
        for iso3, words in (demonym_data.get(section) or {}).items():
            if iso3 not in country_by_iso3:
                raise ActorDataError(f"demonyms.yaml: unknown country {iso3}")
            for w in words:
                out[normalize_for_match(w)] = country_by_iso3[iso3]
        return out

    return ActorDictionary(
        actors=actors, roles=roles, demonyms=demonym_map("demonyms"),
        demonyms_need_context=demonym_map("needs_context"), country_by_iso3=country_by_iso3,
        confusables=_read_yaml(LANG_DIR / "ur" / "confusables.yaml") or {},
        context=_read_yaml(LANG_DIR / "ur" / "name_context.yaml") or {},
        frequent_words=_read_word_list(LANG_DIR / "ur" / "frequent_words.txt"),
    )


def _read_word_list(path: Path) -> frozenset[str]:
    """One word a line, '#' comments; words in matching form (normalize_for_match)."""
    if not path.exists():
        return frozenset()
    return frozenset(normalize_for_match(line) for line in path.read_text(encoding="utf-8").splitlines()
                     if line.strip() and not line.startswith("#"))


_DICTIONARY_CACHE_FORMAT = 1


def _cache_file(files: tuple[Path, ...]) -> Path | None:
    """Where the dictionary built from ``files`` is kept between processes (khabar.cache), named by a hash of
    what it is built from: those files, all language data (khabar/lang), this module, the libraries' versions."""
    import sys

    import babel

    from khabar.cache import cache_dir, files_digest

    folder = cache_dir()
    if folder is None:
        return None
    digest = files_digest((*files, *sorted(LANG_DIR.rglob("*")), Path(__file__)), _DICTIONARY_CACHE_FORMAT,
                          sys.version, babel.__version__, yaml.__version__)
    return None if digest is None else folder / f"actor-dictionary-{digest}.pickle"


@lru_cache(maxsize=8)
def _cached(files: tuple[Path, ...]) -> ActorDictionary:
    """Built once per process; a new process reads the build of an earlier one (~15 ms against ~0.35 s of YAML)."""
    from khabar.cache import load_pickle, store_pickle

    # Thousands of small long-lived objects: the cyclic collector would scan them again at every collection
    # while they are built or read (a third of the load), and there is no garbage among them to find.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        path = _cache_file(files)
        d = load_pickle(path)
        if not isinstance(d, ActorDictionary):
            d = _build(files)
            d.sources = files
            store_pickle(path, d, stale_glob="actor-dictionary-*")
        return d
    finally:
        if was_enabled:
            gc.enable()


def load_dictionary(extra_paths: Sequence[Path] = ()) -> ActorDictionary:
    """The actor dictionary: CLDR countries + khabar/lang/actors/*.yaml + extra files/dirs. Cached; validated."""
    return _cached(tuple(_actor_files(extra_paths)))


# ------------------------------------------------------------------------------------------- codes & rows

def role_code(dictionary: ActorDictionary, role: Role) -> str:
    if role.organization:
        return role.organization
    sector = dictionary.roles[role.role].sector if role.role in dictionary.roles else ""
    return f"{role.country}{sector}"


def _rank(role: Role) -> int:
    return ROLE_RANK.index(role.role) if role.role in ROLE_RANK else len(ROLE_RANK)


def default_actor_code(dictionary: ActorDictionary, actor: Actor) -> str | None:
    """Code used when no date is known: the explicit code, else the current (or latest) role, else country."""
    if actor.actor_code is not None:
        return actor.actor_code or None
    if actor.capital_of:
        return f"{actor.capital_of}GOV"
    if actor.roles:
        current = [r for r in actor.roles if r.end is None]
        pick = min(current, key=_rank) if current else max(actor.roles, key=lambda r: r.end or date.max)
        return role_code(dictionary, pick) if current else (pick.country or pick.organization)
    return actor.country


@dataclass(frozen=True)
class ActorInfo:
    """What the events stage needs about an entity."""
    entity_id: str
    entity_type: str
    actor_code: str | None        # code with no date (current role)
    country_code: str | None      # ISO alpha-3
    roles: tuple[Role, ...]
    is_provisional: bool = False


class EntityLookup(Mapping[str, ActorInfo]):
    """entity_id -> ActorInfo, plus ``code_at(entity_id, when)``: the CAMEO code on a date.

    A person codes as the office held on that date (Putin on 2023-09-13 -> RUSGOV; Kim Jong Il on 2015-01-01
    -> PRK, no longer in office); a capital codes as its government; everything else as its fixed code.
    """

    def __init__(self, dictionary: ActorDictionary):
        self._dictionary = dictionary
        self._info = {a.entity_id: ActorInfo(a.entity_id, a.type, default_actor_code(dictionary, a),
                                             a.country, a.roles) for a in dictionary.actors.values()}

    def __getitem__(self, entity_id: str) -> ActorInfo:
        return self._info[entity_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._info)

    def __len__(self) -> int:
        return len(self._info)

    def roles_at(self, entity_id: str, when: date | datetime | None) -> list[Role]:
        info = self._info.get(entity_id)
        if info is None:
            return []
        day = when.date() if isinstance(when, datetime) else when
        return sorted((r for r in info.roles if r.active(day)), key=_rank)

    def code_at(self, entity_id: str, when: date | datetime | None) -> str | None:
        """CAMEO actor code of the entity on a date (None for unknown / provisional entities)."""
        info = self._info.get(entity_id)
        if info is None:
            return None
        if when is None or not info.roles:
            return info.actor_code
        active = self.roles_at(entity_id, when)
        if active:
            return role_code(self._dictionary, active[0])
        actor = self._dictionary.actors[entity_id]
        return actor.actor_code or info.country_code  # out of office: just their country


def entity_lookup(dictionary: ActorDictionary) -> EntityLookup:
    return EntityLookup(dictionary)


def entity_row(dictionary: ActorDictionary, actor: Actor) -> dict[str, Any]:
    return {"entity_id": actor.entity_id, "canonical_name": actor.name, "entity_type": actor.type,
            "wikidata_id": actor.wikidata_id, "country_code": actor.country,
            "actor_code": default_actor_code(dictionary, actor), "aliases": actor.all_aliases(),
            "is_provisional": False}


def dictionary_entity_rows(dictionary: ActorDictionary) -> list[dict[str, Any]]:
    """Every dictionary entity as an `entities` row (loaded every run so codes stay current)."""
    return [entity_row(dictionary, a) for a in dictionary.actors.values()]


# --------------------------------------------------------------------------------------- Wikidata import

# P31 (instance of) values -> entity type. Q5 human; Q6256 country, Q3624078 sovereign state; Q515 city,
# Q5119 capital; Q43229 organisation, Q484652 international organisation, Q192283 news agency.
WIKIDATA_TYPES = {"Q5": "PERSON", "Q6256": "COUNTRY", "Q3624078": "COUNTRY", "Q515": "CITY", "Q5119": "CITY",
                  "Q43229": "ORGANIZATION", "Q484652": "ORGANIZATION", "Q192283": "ORGANIZATION"}
# P39 (position held) values we can turn into roles: President of the United States, President of Russia,
# Prime Minister of the United Kingdom.
WIKIDATA_POSITIONS = {"Q11696": ("head_of_state", "USA"), "Q218295": ("head_of_state", "RUS"),
                      "Q14212": ("head_of_government", "GBR")}


def _claim_ids(entity: dict, prop: str) -> list[str]:
    out = []
    for claim in entity.get("claims", {}).get(prop, []):
        value = (claim.get("mainsnak", {}).get("datavalue") or {}).get("value")
        if isinstance(value, dict) and "id" in value:
            out.append(value["id"])
    return out


def _claim_string(entity: dict, prop: str) -> str | None:
    for claim in entity.get("claims", {}).get(prop, []):
        value = (claim.get("mainsnak", {}).get("datavalue") or {}).get("value")
        if isinstance(value, str):
            return value
    return None


def _qualifier_date(claim: dict, prop: str) -> str | None:
    for q in claim.get("qualifiers", {}).get(prop, []):
        value = (q.get("datavalue") or {}).get("value")
        if isinstance(value, dict) and "time" in value:
            m = re.match(r"^\+?(\d{4})-(\d{2})-(\d{2})", value["time"])
            if m:
                y, mo, d = m.groups()
                return f"{y}-{mo if mo != '00' else '01'}-{d if d != '00' else '01'}"
    return None


def import_wikidata(lines: Iterable[str], dictionary: ActorDictionary | None = None) -> tuple[list[dict], list[str]]:
    """Actor entries (YAML schema) from Wikidata JSON-lines entities; also returns why others were skipped.

    Countries of people/organisations come from P27/P17 QIDs known to the dictionary or from P298 (alpha-3)
    of country entities in the same file.
    """
    entities = []
    for n, line in enumerate(lines, 1):
        line = line.strip().rstrip(",")
        if not line or line in ("[", "]"):
            continue  # full dumps are one JSON array with an entity per line
        try:
            entities.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise ActorDataError(f"line {n}: not JSON: {exc}") from exc
    qid_to_iso3: dict[str, str] = {}
    if dictionary is not None:
        qid_to_iso3 = {a.wikidata_id: a.country for a in dictionary.actors.values()
                       if a.type == "COUNTRY" and a.wikidata_id and a.country}
    for e in entities:
        code = _claim_string(e, "P298")
        if code and _ISO3.match(code):
            qid_to_iso3[e["id"]] = code
    entries, skipped = [], []
    for e in entities:
        qid = e.get("id", "")
        types = [WIKIDATA_TYPES[t] for t in _claim_ids(e, "P31") if t in WIKIDATA_TYPES]
        labels = {lang: v["value"] for lang, v in (e.get("labels") or {}).items()}
        if not _QID.match(qid) or not types:
            skipped.append(f"{qid or '?'}: no supported instance-of (P31)")
            continue
        aliases: dict[str, list[str]] = {}
        for lang in ("en", "ur"):
            names = ([labels[lang]] if lang in labels else []) + \
                    [a["value"] for a in (e.get("aliases") or {}).get(lang, [])]
            if names:
                aliases[lang] = list(dict.fromkeys(names))
        if "ur" not in aliases or "en" not in aliases:
            skipped.append(f"{qid}: needs an English and an Urdu name")
            continue
        etype = types[0]
        country = None
        if etype == "COUNTRY":
            country = qid_to_iso3.get(qid)
        else:
            for prop in ("P27", "P17"):
                country = next((qid_to_iso3[c] for c in _claim_ids(e, prop) if c in qid_to_iso3), None)
                if country:
                    break
        roles = []
        for claim in e.get("claims", {}).get("P39", []):
            value = (claim.get("mainsnak", {}).get("datavalue") or {}).get("value") or {}
            pos = WIKIDATA_POSITIONS.get(value.get("id", ""))
            if pos:
                role = {"role": pos[0], "country": pos[1], "from": _qualifier_date(claim, "P580")}
                end = _qualifier_date(claim, "P582")
                if end:
                    role["to"] = end
                roles.append(role)
        entry: dict[str, Any] = {"entity_id": qid, "wikidata_id": qid, "name": labels.get("en", aliases["en"][0]),
                                 "type": etype, "aliases": aliases}
        if country:
            entry["country"] = country
        if etype == "COUNTRY":
            entry["actor_code"] = country
        if roles:
            entry["roles"] = sorted(roles, key=lambda r: r["from"] or "")
        validate_entry(entry, f"wikidata:{qid}")
        if dictionary is not None and qid in dictionary.actors:
            known = set(dictionary.actors[qid].all_aliases())
            new = [n for names in aliases.values() for n in names if n not in known]
            skipped.append(f"{qid}: already in the dictionary" + (f" (new aliases: {', '.join(new)})" if new else ""))
            continue
        entries.append(entry)
    return entries, skipped


def merge_entries(existing: list[dict], new: list[dict]) -> list[dict]:
    """Add new entries; for an entity already present, add its new aliases and roles (nothing is removed)."""
    by_id = {e["entity_id"]: e for e in existing}
    out = list(existing)
    for entry in new:
        old = by_id.get(entry["entity_id"])
        if old is None:
            out.append(entry)
            by_id[entry["entity_id"]] = entry
            continue
        for lang, names in entry.get("aliases", {}).items():
            have = old.setdefault("aliases", {}).setdefault(lang, [])
            have.extend(n for n in names if n not in have)
        roles = old.setdefault("roles", [])
        roles.extend(r for r in entry.get("roles", []) if r not in roles)
    return out
