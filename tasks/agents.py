"""Generic actors ("agents"): unnamed groups coded as country + CAMEO sector (افغان پولیس -> AFGCOP).

GDELT/CAMEO codes "Afghan police", "the Chinese army", "Iraqi militants" by the group's country and sector. The
Urdu nouns and their sectors are data (khabar/lang/ur/agents.yaml, schema at its top, validated here); this
module finds them in an article's tokens and gives each one a country:

0. for nouns marked org_possessor, an organisation the linker found right before it or heading a genitive before
   it (تحریک انصاف کے کارکنوں, پی ٹی آئی مظاہرین, حماس کے جنگجو), or an institution agent heading that genitive
   (وزارت خارجہ کے ترجمان): the noun is a mention of that organisation and takes its own code (its members act
   for it); nouns marked org_only (کارکنوں, حامیوں, رہنماؤں) are emitted only so;
1. a country word right before it (modifiers such as اعلیٰ, قابض, ایک, or a number after a genitive, may sit
   between): a demonym (افغان پولیس, عراقی عسکریت پسندوں; adjectives are also derived from every country name), a
   country adjective valid only here (پاک فوج), a country or city name (کابل پولیس), or an already linked
   COUNTRY/CITY mention;
2. a genitive before it whose possessor is such a place (عراق کی فوج, اسرائیل کے حکام);
3. for government nouns, a linked person right before it (مودی سرکار, ٹرمپ انتظامیہ): that person's country;
4. a coordinated agent before it lends its country (امریکی شہریوں اور فوجی دستوں), as does a demonym on the first
   conjunct (افغان اداروں اور اعلیٰ حکام);
5. for nouns marked country_after, a place right after it (حکومت پاکستان);
6. for victims and people (victim_sectors: civilians, refugees), "X میں" or a target "X پر" in the sentence
   (غزہ میں 40 افراد, لبنان پر بمباری میں 47 افراد): where people are hurt, whoever was named before;
7. the country of the latest agent of the same sector named with its country earlier in the article
   ("فلسطینی مظاہرین … مظاہرین نے"), or of a group of remembered_sectors the linker named (اسرائیلی فوج … فوج نے):
   the same group mentioned again;
8. the country the sentence is about: the nearest "X میں" (in X) before it, else the nearest place named before
   it in the sentence (unless the noun needs an explicit country, as ترجمان does; for victims a demonym before an
   attack word is the attacker's and says nothing: "اسرائیلی حملوں میں 12 افراد");
9. the latest agent of the same sector, whatever gave its country;
10. the country of the article's dateline ("کابل ۔ 10 اگست"): the reporting desk, the weakest evidence;
11. else nothing: an agent without a country is skipped.

A plural demonym is a noun for that country's people (فلسطینیوں, افغانوں, اسرائیلیوں: people_sector, CVL). Forms
marked followed_by count only before those words (اسپتال کی جانب سے, never اسپتال میں). A number or a postposition
written into a word (103ملزمان, شرکاءکو) is cut off before matching.

It is skipped too when a blocker precedes it (عالمی عدالت, سابق فوجی), when its possessor or the word before it
is a name of something else with no role here (a person: عمران خان کے حامی) or a pronoun (ان کی حکومت), when an
ambiguous form is used as an adjective (فوجی اڈے), when a title-like noun heads a name (ترجمان میتھیو ملر), and
when its span overlaps a mention the linker already made. Agents become mentions (found_by / link_method
"agent") of entities "agent:<CODE>" of type AGENT, which the entity score ignores and events code by their
actor_code; members are mentions of their organisation's own entity.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
import bisect
import re
import unicodedata

import yaml

from tasks.actors import ActorDictionary, load_dictionary
from tasks.ids import stable_id
from tasks.normalize import normalize_for_match, strip_punct_span
from tasks.yamlload import load_yaml

__all__ = ["AgentDataError", "AgentLexicon", "AgentConcept", "load_agents", "validate_agents", "find_agents",
           "agent_entity_id", "AGENTS_PATH"]

AGENTS_PATH = Path(__file__).resolve().parent.parent / "khabar" / "lang" / "ur" / "agents.yaml"
MAX_PLACE_WORDS = 4
# confidence by where the country came from: named with the noun; the same group earlier; what the sentence is
# about; the reporting desk (dateline)
CONF = {"before": 0.8, "genitive": 0.8, "after": 0.8, "leader": 0.75, "coordinated": 0.75, "earlier": 0.7,
        "locative": 0.65, "sentence": 0.6, "dateline": 0.55, "member": 0.75}
EXPLICIT = ("before", "genitive", "after", "leader", "member")
AMBIGUOUS_FACTOR = 0.9   # a form that is also an adjective
_SECTOR = re.compile(r"^[A-Z]{3}$")
_ISO3 = re.compile(r"^[A-Z]{3}$")
_CODE = re.compile(r"^[A-Z]{6,15}$")   # country + sector, or an organisation's own code (PSEREBHMS)
TOP_KEYS = {"schema_version", "sectors", "genitive", "coordinators", "locatives", "modifiers", "blockers",
            "blockers_after", "ambiguous_places", "possessors_unknown", "noun_cues",
            "country_words", "demonyms", "derived_demonyms", "places", "people_suffixes", "people_sector",
            "victim_sectors", "targets", "attacks", "remembered_sectors", "agents"}
AGENT_KEYS = {"concept", "phoenix", "sector", "forms", "ambiguous", "title", "explicit_country", "country_after",
              "leader_before", "org_possessor", "org_only", "followed_by", "examples"}
EXAMPLE_KEYS = {"text", "country", "code"}
_PLACE_TYPES = {"COUNTRY", "CITY"}


class AgentDataError(ValueError):
    """agents.yaml breaks its schema."""


@dataclass(frozen=True)
class AgentConcept:
    concept: str
    sector: str
    forms: tuple[str, ...]                     # as written in the file
    ambiguous: frozenset[tuple[str, ...]]      # matching forms (token keys) that need a noun cue after them
    title: bool = False
    explicit_country: bool = False
    country_after: bool = False
    leader_before: bool = False
    org_possessor: bool = False
    org_only: bool = False
    followed_by: tuple[tuple[str, ...], ...] = ()   # token keys: the form counts only before one of these
    phoenix: tuple[str, ...] = ()
    examples: tuple[dict, ...] = ()


@dataclass
class AgentLexicon:
    sectors: dict[str, str]
    concepts: list[AgentConcept]
    forms: dict[tuple[str, ...], AgentConcept]   # token keys of a form -> its concept
    max_form_words: int
    first_words: frozenset[str]                   # first token key of every form
    genitive: frozenset[str]
    coordinators: frozenset[str]
    locatives: frozenset[str]
    modifiers: frozenset[str]
    blockers: frozenset[tuple[str, ...]]
    blockers_after: frozenset[tuple[str, ...]]
    ambiguous_places: frozenset[tuple[str, ...]]
    possessors_unknown: frozenset[str]
    noun_cues: frozenset[tuple[str, ...]]
    country_words: dict[tuple[str, ...], str]    # token keys -> ISO3
    demonyms: dict[tuple[str, ...], str]
    derived_demonyms: tuple[tuple[str, str], ...]
    places: dict[tuple[str, ...], str]
    people_suffixes: tuple[str, ...] = ()
    people_sector: str = "CVL"
    victim_sectors: frozenset[str] = frozenset()
    targets: frozenset[str] = frozenset()
    attacks: frozenset[tuple[str, ...]] = frozenset()
    remembered_sectors: frozenset[str] = frozenset()
    _place_index: dict[int, tuple[ActorDictionary, dict]] = field(default_factory=dict, repr=False)


@lru_cache(maxsize=65536)  # every article's tokens are keyed here too: words repeat (as tasks.link._key)
def _k(word: str) -> str:
    return normalize_for_match(word).casefold()


def _keys(phrase: str) -> tuple[str, ...]:
    return tuple(_k(phrase).split())


# ------------------------------------------------------------------------------------------------ loading

def _str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise AgentDataError(f"{where}: must be a non-empty list of words")
    return value


def _iso_map(value: Any, where: str) -> dict[tuple[str, ...], str]:
    if not isinstance(value, dict):
        raise AgentDataError(f"{where}: must map ISO alpha-3 codes to lists of words")
    out: dict[tuple[str, ...], str] = {}
    for iso, words in value.items():
        if not isinstance(iso, str) or not _ISO3.match(iso):
            raise AgentDataError(f"{where}: {iso!r} is no ISO alpha-3 code")
        for w in _str_list(words, f"{where}.{iso}"):
            key = _keys(w)
            if key in out and out[key] != iso:
                raise AgentDataError(f"{where}: {w!r} given for both {out[key]} and {iso}")
            out[key] = iso
    return out


def validate_agents(data: Any, where: str = "agents.yaml") -> AgentLexicon:
    """Check the file against its schema and build the lexicon (raises AgentDataError)."""
    if not isinstance(data, dict):
        raise AgentDataError(f"{where}: top level must be a mapping")
    unknown = set(data) - TOP_KEYS
    missing = TOP_KEYS - set(data)
    if unknown or missing:
        raise AgentDataError(f"{where}: unknown keys {sorted(unknown)}, missing keys {sorted(missing)}")
    if data["schema_version"] != 1:
        raise AgentDataError(f"{where}: schema_version must be 1")
    sectors = data["sectors"]
    if not isinstance(sectors, dict) or not sectors or not all(
            isinstance(k, str) and _SECTOR.match(k) and isinstance(v, str) and v for k, v in sectors.items()):
        raise AgentDataError(f"{where}: sectors must map three-letter CAMEO codes to English words")
    rules = data["derived_demonyms"]
    if not isinstance(rules, list) or not all(
            isinstance(r, dict) and set(r) == {"ending", "replace"} and isinstance(r["ending"], str)
            and isinstance(r["replace"], str) for r in rules):
        raise AgentDataError(f"{where}: derived_demonyms must be a list of {{ending, replace}}")
    concepts: list[AgentConcept] = []
    forms: dict[tuple[str, ...], AgentConcept] = {}
    seen_concepts: set[str] = set()
    if not isinstance(data["agents"], list) or not data["agents"]:
        raise AgentDataError(f"{where}: agents must be a non-empty list")
    for n, a in enumerate(data["agents"]):
        w = f"{where}: agents[{n}]"
        if not isinstance(a, dict):
            raise AgentDataError(f"{w}: must be a mapping")
        if set(a) - AGENT_KEYS or not {"concept", "phoenix", "sector", "forms", "examples"} <= set(a):
            raise AgentDataError(f"{w}: keys must be {sorted(AGENT_KEYS)} (concept, phoenix, sector, forms and "
                                 f"examples required), got {sorted(a)}")
        concept = a["concept"]
        if not isinstance(concept, str) or not concept or concept in seen_concepts:
            raise AgentDataError(f"{w}: concept must be a unique non-empty string")
        seen_concepts.add(concept)
        w = f"{where}: agent {concept!r}"
        if a["sector"] not in sectors:
            raise AgentDataError(f"{w}: sector {a['sector']!r} is not in sectors")
        phoenix = _str_list(a["phoenix"], f"{w}.phoenix")
        if not all(re.match(r"^[A-Z0-9_!'.-]+$", p) for p in phoenix):
            raise AgentDataError(f"{w}: phoenix nouns are written as in Phoenix.agents.txt (CAPITALS_WITH_UNDERSCORES)")
        form_list = _str_list(a["forms"], f"{w}.forms")
        amb = a.get("ambiguous", [])
        if amb:
            _str_list(amb, f"{w}.ambiguous")
        if not set(amb) <= set(form_list):
            raise AgentDataError(f"{w}: ambiguous forms {sorted(set(amb) - set(form_list))} are not in forms")
        for flag in ("title", "explicit_country", "country_after", "leader_before", "org_possessor", "org_only"):
            if not isinstance(a.get(flag, False), bool):
                raise AgentDataError(f"{w}: {flag} must be true or false")
        if a.get("org_only") and not a.get("org_possessor"):
            raise AgentDataError(f"{w}: org_only needs org_possessor")
        followed = a.get("followed_by", [])
        if followed:
            _str_list(followed, f"{w}.followed_by")
        examples = a["examples"]
        if not isinstance(examples, list) or not examples:
            raise AgentDataError(f"{w}: at least one example is needed")
        for ex in examples:
            if not isinstance(ex, dict) or set(ex) != EXAMPLE_KEYS or not isinstance(ex["text"], str) or \
                    not isinstance(ex["country"], str) or not _ISO3.match(ex["country"]) or \
                    not (ex["code"] is None or (isinstance(ex["code"], str) and _CODE.match(ex["code"]))):
                raise AgentDataError(f"{w}: example must be {{text, country (ISO3), code (capitals or null)}}: "
                                     f"{ex}")
            # an organisation's member takes the organisation's own code (PSEREBHMS, IGOUNO)
            if ex["code"] is not None and ex["code"][3:] != a["sector"] and not a.get("org_possessor"):
                raise AgentDataError(f"{w}: example code {ex['code']} does not end in the sector {a['sector']}")
        c = AgentConcept(concept=concept, sector=a["sector"], forms=tuple(form_list),
                         ambiguous=frozenset(_keys(f) for f in amb), title=a.get("title", False),
                         explicit_country=a.get("explicit_country", False),
                         country_after=a.get("country_after", False),
                         leader_before=a.get("leader_before", False),
                         org_possessor=a.get("org_possessor", False), org_only=a.get("org_only", False),
                         followed_by=tuple(_keys(f) for f in followed), phoenix=tuple(phoenix),
                         examples=tuple(examples))
        for f in form_list:
            key = _keys(f)
            if key in forms:
                raise AgentDataError(f"{w}: form {f!r} is listed twice (also in {forms[key].concept!r})")
            forms[key] = c
        concepts.append(c)

    def word_set(name: str) -> frozenset[tuple[str, ...]]:
        return frozenset(_keys(x) for x in _str_list(data[name], f"{where}: {name}"))

    single = {}
    for name in ("genitive", "coordinators", "locatives", "targets", "modifiers", "possessors_unknown"):
        keys = word_set(name)
        if any(len(k) != 1 for k in keys):
            raise AgentDataError(f"{where}: {name} must be single words")
        single[name] = frozenset(k[0] for k in keys)
    return AgentLexicon(
        sectors=dict(sectors), concepts=concepts, forms=forms, max_form_words=max(len(k) for k in forms),
        first_words=frozenset(k[0] for k in forms),
        genitive=single["genitive"], coordinators=single["coordinators"], locatives=single["locatives"],
        modifiers=single["modifiers"], blockers=word_set("blockers"),
        blockers_after=word_set("blockers_after"), ambiguous_places=word_set("ambiguous_places"),
        possessors_unknown=single["possessors_unknown"], noun_cues=word_set("noun_cues"),
        country_words=_iso_map(data["country_words"], f"{where}: country_words"),
        demonyms=_iso_map(data["demonyms"], f"{where}: demonyms"),
        derived_demonyms=tuple((_k(r["ending"]) if r["ending"] else "", _k(r["replace"])) for r in rules),
        places=_iso_map(data["places"], f"{where}: places"),
        people_suffixes=tuple(_k(x) for x in _str_list(data["people_suffixes"], f"{where}: people_suffixes")),
        people_sector=_people_sector(data["people_sector"], sectors, where),
        victim_sectors=frozenset(_people_sector(v, sectors, where) for v in _str_list(data["victim_sectors"],
                                                                                      f"{where}: victim_sectors")),
        targets=single["targets"], attacks=word_set("attacks"),
        remembered_sectors=frozenset(_people_sector(v, sectors, where) for v in _str_list(
            data["remembered_sectors"], f"{where}: remembered_sectors")),
    )


def _people_sector(value: Any, sectors: dict, where: str) -> str:
    if value not in sectors:
        raise AgentDataError(f"{where}: sector {value!r} (people_sector, victim_sectors, remembered_sectors) is "
                             f"not in sectors")
    return value


@lru_cache(maxsize=4)
def _load(path: Path) -> AgentLexicon:
    try:
        data = load_yaml(path)
    except yaml.YAMLError as e:
        raise AgentDataError(f"{path}: {e}") from e
    return validate_agents(data, str(path))


def load_agents(path: Path | str | None = None) -> AgentLexicon:
    """The agent lexicon (khabar/lang/ur/agents.yaml by default), validated and cached."""
    return _load(Path(path) if path else AGENTS_PATH)


def agent_entity_id(code: str) -> str:
    return f"agent:{code}"


# ------------------------------------------------------------------------------------------------ places

def _derive(name: str, rules: tuple[tuple[str, str], ...]) -> str | None:
    for ending, replace in rules:
        if name.endswith(ending):
            return (name[:-len(ending)] if ending else name) + replace
    return None


def _place_index(lex: AgentLexicon, d: ActorDictionary) -> dict[tuple[str, ...], tuple[str, bool]]:
    """Token keys -> (ISO3, is_adjective) for every word sequence that names a country before an agent noun."""
    hit = lex._place_index.get(id(d))
    if hit is not None and hit[0] is d:   # the id of a dictionary that is gone may be reused
        return hit[1]
    out: dict[tuple[str, ...], tuple[str, bool]] = {}
    derived: dict[tuple[str, ...], str] = {}
    for a in d.actors.values():
        if a.type not in _PLACE_TYPES or not a.country:
            continue
        for name in a.aliases.get("ur", ()):
            key = _keys(name)
            if key:
                out.setdefault(key, (a.country, False))
                if a.type == "COUNTRY":
                    adj = _derive(key[-1], lex.derived_demonyms)
                    if adj and adj != key[-1]:
                        derived.setdefault(key[:-1] + (adj,), a.country)
    for word, eid in {**d.demonyms, **d.demonyms_need_context}.items():
        out.setdefault(_keys(word), (d.actors[eid].country, True))
    for table, adjective in ((lex.places, False), (lex.demonyms, True), (lex.country_words, True)):
        for key, iso in table.items():
            if iso not in d.country_by_iso3:
                raise AgentDataError(f"agents.yaml: unknown country {iso}")
            out[key] = (iso, adjective)
    for key, iso in derived.items():
        out.setdefault(key, (iso, True))   # an explicit name wins over a derived adjective
    lex._place_index[id(d)] = (d, out)
    return out


# ------------------------------------------------------------------------------------------------ tokens

@dataclass
class _Tok:
    sent: int
    start: int
    end: int
    key: str
    upos: str | None


@lru_cache(maxsize=8)
def _glued_after_hamza(function_words: frozenset[str]) -> re.Pattern[str]:
    """A postposition (name_context.yaml function_words) written onto a word that ends in hamza: "شرکاءکو"."""
    words = "|".join(sorted(map(re.escape, function_words), key=len, reverse=True))
    return re.compile(rf"(?<=.ء)({words})$")


def _trim(text: str, s: int, e: int, function_words: frozenset[str] = frozenset()) -> tuple[int, int]:
    """A number written into the word ("103ملزمان", "43طلباء") is cut off, as is a postposition written onto a
    word ending in hamza ("شرکاءکو")."""
    d = s
    while d < e and unicodedata.category(text[d]) == "Nd":
        d += 1
    if s < d < e:
        s = d
    m = _glued_after_hamza(function_words).search(text[s:e]) if function_words else None
    if m:
        e = s + m.start()
    return s, e


def _tokens(text: str, tokens: list[dict], function_words: frozenset[str] = frozenset()) -> list[_Tok]:
    out = []
    for t in sorted(tokens, key=lambda r: (r["sentence_index"], r["token_index"])):
        if t.get("start_char") is None:
            continue
        s, e = strip_punct_span(text, t["start_char"], t["end_char"])
        s, e = _trim(text, s, e, function_words)
        key = _k(text[s:e]) if e > s else ""
        out.append(_Tok(t["sentence_index"], s, e, key, t.get("upos") if e > s else "PUNCT"))
    return out


# ------------------------------------------------------------------------------------------------ main

@dataclass
class _Ctx:
    text: str
    toks: list[_Tok]
    lex: AgentLexicon
    places: dict[tuple[str, ...], tuple[str, bool]]
    mention_at: dict[int, dict]            # token index -> covering mention
    entities: dict[str, dict]
    dictionary: ActorDictionary
    found_end: dict[int, tuple[str, str]] = field(default_factory=dict)  # last token of an agent -> (ISO3, how)
    found_code: dict[int, tuple[str, str]] = field(default_factory=dict)  # last token of an agent -> (entity, code)
    last_explicit: dict[str, str] = field(default_factory=dict)  # sector -> country of its latest explicit agent
    last_any: dict[str, str] = field(default_factory=dict)  # sector -> country of its latest agent (no dateline)
    members: dict[int, dict] = field(default_factory=dict)  # last token of a member agent -> its organisation

    def same_sentence(self, i: int, j: int) -> bool:
        return 0 <= j < len(self.toks) and self.toks[j].sent == self.toks[i].sent

    def mention_country(self, m: dict) -> str | None:
        """ISO3 of a linked COUNTRY/CITY mention (demonyms link to their country), else None."""
        eid = m.get("entity_id")
        if not eid:
            return None
        etype, iso, _ = self.entity_facts(eid)
        return iso if etype in _PLACE_TYPES and iso else None

    def entity_facts(self, eid: str) -> tuple[str, str | None, str | None]:
        """(type, ISO3 country, actor code) of an entity: its row in this article, else the dictionary's entry."""
        ent = self.entities.get(eid)
        if ent is not None:
            return (ent.get("entity_type") or "").upper(), ent.get("country_code"), ent.get("actor_code")
        actor = self.dictionary.actors.get(eid)
        return (actor.type, actor.country, actor.actor_code) if actor else ("", None, None)

    def place_ending(self, j: int, anchor: int) -> tuple[str | None, bool, int]:
        """(ISO3, is_adjective, first token) of a place ending at token j, else (None, False, j)."""
        if not self.same_sentence(anchor, j):
            return None, False, j
        for n in range(min(MAX_PLACE_WORDS, j + 1), 0, -1):
            if not self.same_sentence(anchor, j - n + 1):
                continue
            key = tuple(t.key for t in self.toks[j - n + 1:j + 1])
            if key in self.places:
                iso, adj = self.places[key]
                return iso, adj, j - n + 1
        m = self.mention_at.get(j)
        if m is not None and (iso := self.mention_country(m)):
            return iso, (m.get("ner_label") or "").upper() == "NORP", j
        return None, False, j

    def person_country(self, j: int) -> str | None:
        """Country of a linked PERSON mention at token j (مودی in "مودی سرکار")."""
        m = self.mention_at.get(j)
        eid = m.get("entity_id") if m else None
        if not eid:
            return None
        ent = self.entities.get(eid)
        if ent is not None:
            return ent.get("country_code") if (ent.get("entity_type") or "").upper() == "PERSON" else None
        actor = self.dictionary.actors.get(eid)
        return actor.country if actor and actor.type == "PERSON" else None

    def other_name(self, j: int) -> bool:
        """Token j is a name of something that is no place (حماس کے جنگجو, طالبان جنگجو)."""
        m = self.mention_at.get(j)
        if m is not None and m.get("entity_id") and not self.mention_country(m):
            return (m.get("ner_label") or "").upper() not in ("LOCATION", "GPE")
        return m is None and self.toks[j].upos == "PROPN"

    def organisation(self, j: int) -> dict | None:
        """The linked mention at token j when it names an organisation with a CAMEO code (no place, no person):
        "تحریک انصاف" in "تحریک انصاف کے کارکنوں"; else None."""
        m = self.mention_at.get(j)
        eid = m.get("entity_id") if m else None
        if not eid or self.mention_country(m):
            return None
        etype, _, code = self.entity_facts(eid)
        code = m.get("actor_code") or code
        if etype in ("PERSON", "AGENT", *_PLACE_TYPES) or not code:
            return None
        return {"entity_id": eid, "actor_code": code}

    def place_starting(self, i: int, anchor: int) -> str | None:
        if not self.same_sentence(anchor, i):
            return None
        for n in range(MAX_PLACE_WORDS, 0, -1):
            if not self.same_sentence(anchor, i + n - 1):
                continue
            key = tuple(t.key for t in self.toks[i:i + n])
            if key in self.places:
                return self.places[key][0]
        m = self.mention_at.get(i)
        return self.mention_country(m) if m is not None else None

    def sentence_country(self, s: int, victims: bool = False) -> tuple[str | None, str]:
        """The country the sentence is about, looking back from token s: the nearest "X میں" (in X), else the
        nearest demonym ("امریکی صدر نے … فوجیوں") or place that heads a genitive ("پاکستان کے وزیراعظم … حکومت");
        a place in any other role ("افغانستان سے فوجیوں کا انخلا": from Afghanistan) says nothing. For victims
        and people (``victims``) the target of the sentence ("لبنان پر حملے میں 40 افراد") counts like "X میں", and a
        demonym before an attack word says nothing: it names the attacker ("اسرائیلی حملوں میں 12 افراد شہید")."""
        nearest: str | None = None
        j = s - 1
        while self.same_sentence(s, j):
            iso, adjective, first = self.place_ending(j, s)
            if iso and tuple(t.key for t in self.toks[first:j + 1]) in self.lex.ambiguous_places:
                j = first - 1
                continue
            if iso:
                after = self.toks[j + 1].key if self.same_sentence(s, j + 1) else ""
                if after in self.lex.locatives or (victims and after in self.lex.targets):
                    return iso, "locative"
                attacker = victims and any(_seq_at(self.toks, j + 1, a) for a in self.lex.attacks)
                if (adjective and not attacker) or after in self.lex.genitive:
                    nearest = nearest or iso
                j = first - 1
                continue
            j -= 1
        return (nearest, "sentence") if nearest else (None, "")


def _dateline_country(article: dict, places: dict[tuple[str, ...], tuple[str, bool]],
                      ambiguous: frozenset[tuple[str, ...]] = frozenset()) -> str | None:
    line = article.get("dateline") or ""
    words = re.findall(r"[^\s\d۔:\-–—(),،؛;.]+", normalize_for_match(line).casefold())
    for n in range(min(MAX_PLACE_WORDS, len(words)), 0, -1):
        if tuple(words[:n]) in places and tuple(words[:n]) not in ambiguous:
            return places[tuple(words[:n])][0]
    return None


def _seq_at(toks: list[_Tok], i: int, seq: tuple[str, ...]) -> bool:
    return i + len(seq) <= len(toks) and all(toks[i + k].key == seq[k] for k in range(len(seq))) and \
        toks[i + len(seq) - 1].sent == toks[i].sent


def _used_as_noun(ctx: _Ctx, end: int) -> bool:
    """After an ambiguous form: punctuation, the end of the sentence or a noun cue."""
    nxt = end
    if nxt >= len(ctx.toks) or ctx.toks[nxt].sent != ctx.toks[end - 1].sent or not ctx.toks[nxt].key:
        return True
    return any(_seq_at(ctx.toks, nxt, cue) for cue in ctx.lex.noun_cues)


def _blocked_before(ctx: _Ctx, j: int, anchor: int) -> bool:
    for b in ctx.lex.blockers:
        s = j - len(b) + 1
        if s >= 0 and ctx.same_sentence(anchor, s) and _seq_at(ctx.toks, s, b):
            return True
    return False


def _modifier(ctx: _Ctx, j: int) -> bool:
    """Token j may stand between a country and its agent noun: a modifier word or a number ("ایتھوپیا کے 7
    شہریوں")."""
    t = ctx.toks[j]
    if j in ctx.mention_at:
        return False
    if t.key in ctx.lex.modifiers:
        return True
    if t.upos == "NUM" or t.key.isdigit():   # only after a genitive: "30 بچوں سمیت 70 مہاجرین" names no owner
        return j > 0 and ctx.same_sentence(j, j - 1) and ctx.toks[j - 1].key in ctx.lex.genitive
    return False


def _country_of(ctx: _Ctx, s: int, e: int, c: AgentConcept, dateline: str | None) -> tuple[str | None, str]:
    """(ISO3 or None, how): the agent's country from the words around tokens [s, e)."""
    lex, toks = ctx.lex, ctx.toks
    j = s - 1
    if _blocked_before(ctx, j, s):
        return None, "blocked"
    while ctx.same_sentence(s, j) and _modifier(ctx, j):
        j -= 1
        if _blocked_before(ctx, j, s):
            return None, "blocked"
    if ctx.same_sentence(s, j):
        if toks[j].key in lex.possessors_unknown:
            return None, "pronoun"
        iso, _, _ = ctx.place_ending(j, s)
        if iso:
            return iso, "before"
        if c.leader_before and (iso := ctx.person_country(j)):
            return iso, "leader"
        if ctx.other_name(j):
            return None, "other name"
        if toks[j].key in lex.genitive and j not in ctx.mention_at and ctx.same_sentence(s, j - 1):
            k = j - 1
            if toks[k].key in lex.possessors_unknown or toks[k].upos == "PRON":
                return None, "pronoun"
            iso, _, _ = ctx.place_ending(k, s)
            if iso:
                return iso, "genitive"
            if ctx.other_name(k):
                return None, "other name"
        if toks[j].key in lex.coordinators and ctx.same_sentence(s, j - 1):
            # "امریکی شہریوں اور فوجی دستوں", "افغان اداروں اور اعلیٰ حکام": the first conjunct's country
            prev = ctx.found_end.get(j - 1)
            if prev and prev[1] in EXPLICIT:
                return prev[0], "coordinated"
            if ctx.same_sentence(s, j - 2) and j - 1 not in ctx.mention_at:
                iso, adj, _ = ctx.place_ending(j - 2, s)
                if iso and adj:
                    return iso, "coordinated"
    if c.country_after and (iso := ctx.place_starting(e, s)):
        return iso, "after"
    victims = c.sector in lex.victim_sectors
    if victims:
        # "غزہ میں 40 افراد شہید": where people are hurt is their country, whoever was named before
        iso, how = ctx.sentence_country(s, victims=True)
        if iso and how == "locative":
            return iso, how
    if c.sector in ctx.last_explicit:
        # "فلسطینی مظاہرین … مظاہرین نے پولیس پر پتھراؤ کیا": the same kind of group named earlier with a country
        return ctx.last_explicit[c.sector], "earlier"
    if c.explicit_country:
        return None, "needs country"
    iso, how = ctx.sentence_country(s, victims=victims)
    if iso:
        return iso, how
    if c.sector in ctx.last_any:
        # "پاکستان کے وزیراعظم … حکومت … (next sentence) حکومت کے خاتمے": the same group again
        return ctx.last_any[c.sector], "earlier"
    if dateline:
        return dateline, "dateline"
    return None, "no country"


def _organisation_of(ctx: _Ctx, s: int) -> tuple[dict | None, bool]:
    """(organisation, blocked) for a member noun at token s: a linked organisation (or an agent) right before it
    ("پی ٹی آئی کارکنان") or heading a genitive before it ("تحریک انصاف کے کارکنوں", "وزارت خارجہ کے ترجمان");
    blocked when a blocker or pronoun stands there instead."""
    lex, toks = ctx.lex, ctx.toks
    j = s - 1
    while ctx.same_sentence(s, j) and _modifier(ctx, j):
        j -= 1
    if not ctx.same_sentence(s, j):
        return None, False
    if _blocked_before(ctx, j, s):
        return None, True
    if toks[j].key in lex.coordinators and (j - 1) in ctx.members:
        # "تحریک انصاف کے کارکنوں اور حامیوں": the first conjunct's organisation
        return ctx.members[j - 1], False
    if toks[j].key in lex.genitive and j not in ctx.mention_at and ctx.same_sentence(s, j - 1):
        j -= 1
    org = ctx.organisation(j)
    if org is None and j in ctx.found_code:
        eid, code = ctx.found_code[j]
        org = {"entity_id": eid, "actor_code": code}
    return org, False


def _remember_group(ctx: _Ctx, m: dict) -> None:
    """A group the linker named ("اسرائیلی فوج" ISRMIL, an organisation coded country + sector of
    remembered_sectors) is the group a later bare noun of that sector means: "اسرائیلی فوج نے … غزہ میں فوج نے"
    (no person: a minister's GOV code says nothing about the next "حکومت")."""
    eid = m.get("entity_id")
    ent = ctx.entities.get(eid or "") or {}
    etype = (ent.get("entity_type") or "").upper()
    code = m.get("actor_code") or ent.get("actor_code") or ""
    iso = ent.get("country_code")
    if etype in ("PERSON", "AGENT", *_PLACE_TYPES) or len(code) != 6 or not iso or code[:3] != iso or \
            code[3:] not in ctx.lex.remembered_sectors:
        return
    ctx.last_explicit[code[3:]] = iso
    ctx.last_any[code[3:]] = iso


def _people_country(ctx: _Ctx, i: int) -> str | None:
    """"فلسطینیوں", "افغانوں": a demonym made a plural noun of people gives that country's civilians."""
    key = ctx.toks[i].key
    for suffix in ctx.lex.people_suffixes:
        if key.endswith(suffix) and len(key) > len(suffix) + 1:
            stem = (key[:-len(suffix)],)
            hit = ctx.places.get(stem)
            if hit and hit[1] and stem not in ctx.lex.ambiguous_places:
                return hit[0]
    return None


def find_agents(text: str, tokens: list[dict], mentions: list[dict], entities: dict[str, dict], article: dict,
                *, dictionary: ActorDictionary | None = None,
                lexicon: AgentLexicon | None = None) -> tuple[list[dict], list[dict]]:
    """Agent mentions of one article and the entity rows they reference (new rows only).

    ``text`` is articles.text (all offsets index into it); ``tokens`` the article's token rows; ``mentions`` the
    mentions the linker made (an agent never overlaps one; linked COUNTRY/CITY mentions give countries);
    ``entities`` entity rows by id (for those mentions' types and countries; the actor dictionary is the
    fallback); ``article`` the articles row (article_id, dateline). Returns (mentions, entities): mention rows
    shaped like tasks.link's (ner_label "AGENT", found_by and link_method "agent") and one entity row per agent
    code ("agent:AFGCOP", type AGENT, canonical name "Afghanistan police").
    """
    d = dictionary or load_dictionary()
    lex = lexicon or load_agents()
    aid = article["article_id"]
    toks = _tokens(text, tokens, frozenset(normalize_for_match(w) for w in d.context.get("function_words") or []))
    ends = [t.end for t in toks]
    mention_at: dict[int, dict] = {}
    for m in mentions:
        if m.get("start_char") is None:
            continue
        lo = bisect.bisect_right(ends, m["start_char"])   # first token ending after the mention starts
        for i in range(lo, len(toks)):
            if toks[i].start >= m["end_char"]:
                break
            mention_at.setdefault(i, m)
    places = _place_index(lex, d)
    ctx = _Ctx(text, toks, lex, places, mention_at, entities, d)
    dateline = _dateline_country(article, places, lex.ambiguous_places)

    out_m: list[dict] = []
    out_e: dict[str, dict] = {}
    i = 0
    while i < len(toks):
        found = None
        if i in mention_at and (i + 1 >= len(toks) or mention_at.get(i + 1) is not mention_at[i]):
            _remember_group(ctx, mention_at[i])
        if toks[i].key in lex.first_words and i not in mention_at:
            for n in range(min(lex.max_form_words, len(toks) - i), 0, -1):
                if toks[i + n - 1].sent != toks[i].sent or any(i + k in mention_at for k in range(n)):
                    continue
                key = tuple(t.key for t in toks[i:i + n])
                c = lex.forms.get(key)
                if c is not None:
                    found = (n, key, c)
                    break
        if found is None:
            people = _people_country(ctx, i) if i not in mention_at and toks[i].key else None
            if people is None:
                i += 1
                continue
            found = (1, (toks[i].key,), None)
        n, key, c = found
        s, e = i, i + n
        i = e
        start, end = toks[s].start, toks[e - 1].end
        if c is None:  # a plural demonym: that country's people
            iso, how, sector, org, conf = people, "before", lex.people_sector, None, CONF["before"]
        else:
            if key in c.ambiguous and not _used_as_noun(ctx, e):
                continue
            if e not in mention_at and any(_seq_at(toks, e, b) for b in lex.blockers_after):
                continue  # "حکومت مخالف مظاہرین": anti-government, a modifier of what follows
            if c.followed_by and not any(_seq_at(toks, e, f) and toks[e].sent == toks[s].sent
                                         for f in c.followed_by):
                continue  # "اسپتال میں داخل": the place, not the hospital acting
            if c.title and ctx.same_sentence(s, e) and (toks[e].upos == "PROPN" or (
                    e in mention_at and not ctx.mention_country(mention_at[e]) and mention_at[e].get("entity_id"))):
                continue  # ترجمان میتھیو ملر: a title before a name, whose mention carries the actor
            org, blocked = _organisation_of(ctx, s) if c.org_possessor else (None, False)
            if org is None and (blocked or c.org_only):
                continue
            sector = c.sector
            if org is not None:
                iso, how, conf = None, "member", CONF["member"]
            else:
                iso, how = _country_of(ctx, s, e, c, dateline)
                if iso is None:
                    continue
                conf = CONF[how] * (AMBIGUOUS_FACTOR if key in c.ambiguous else 1.0)
        if org is not None:
            eid, code = org["entity_id"], org["actor_code"]
            ent = entities.get(eid) or {}
            iso = ent.get("country_code")
        else:
            country = d.actors.get(d.country_by_iso3.get(iso, ""))
            if country is None:
                continue
            code = f"{country.actor_code or iso}{sector}"
            eid = agent_entity_id(code)
        if c is not None and not c.title:
            ctx.found_code[e - 1] = (eid, code)   # an institution may own what follows: "وزارت خارجہ کے ترجمان"
        if iso:
            ctx.found_end[e - 1] = (iso, how)
            if how in EXPLICIT or how == "coordinated":
                ctx.last_explicit[sector] = iso
            if how != "dateline":
                ctx.last_any[sector] = iso
        mention = {"mention_id": stable_id("m", aid, start, end), "article_id": aid,
                   "sentence_index": toks[s].sent, "start_char": start, "end_char": end,
                   "text": text[start:end], "ner_label": "AGENT", "entity_id": eid,
                   "confidence": round(conf, 3), "model_label": None, "found_by": "agent",
                   "link_method": "agent"}
        if org is not None:
            ctx.members[e - 1] = org
            mention["actor_code"] = code   # the organisation's code on the article's date, as its mention had
            out_m.append(mention)
            continue
        out_m.append(mention)
        row = out_e.setdefault(eid, {
            "entity_id": eid, "canonical_name": f"{country.name} {lex.sectors[sector]}", "entity_type": "AGENT",
            "wikidata_id": None, "country_code": iso, "actor_code": code, "aliases": [],
            "is_provisional": False})
        if text[start:end] not in row["aliases"]:
            row["aliases"].append(text[start:end])
    return out_m, list(out_e.values())
