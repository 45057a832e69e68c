"""Entity linking: NER spans + dictionary matches -> mentions linked to actors (or provisional entities).

How a name is found and linked (docs/entities.md has the long version):
1. Tokens are matched on their matching form (normalize_for_match: no diacritics, unified letters), so
   اُن = ان. Exact alias matches are looked up word by word: the names by their words (a dict), tried from every
   token that starts one, so matches are token-aligned.
2. Spelling variants come from a fuzzy match over name PARTS: every part of an alias must match a token (or
   two adjacent tokens written apart, ولادی میر) with confusable-aware similarity (letter classes from
   khabar/lang/ur/confusables.yaml). Short parts (two letters) must match exactly after folding, which is what
   keeps کم جونگ ایل (Kim Jong Il) away from کم جونگ ان although the whole strings are close.
3. Short forms (پوتن, کم جونگ) resolve to an entity with a full mention in the article (coreference), or
   alone when context supports them: a role word before the name (صدر, وزیر خارجہ) that the actor held on
   the article date, and a country/demonym (روسی صدر, شمالی کوریا کے رہنما) matching the actor's country.
   A short form followed by more of a name (کم جونگ ڈے) is a different person and is not linked to Kim Jong Un.
4. NER spans overlapping a dictionary match merge into it (found_by ner+dictionary); the rest become
   provisional entities keyed by their normalised form (same name -> same id in every article), as do names
   right after a role word (وزیر دفاع X Y) that match nothing.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
import atexit
import gc
import itertools
import re
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable, Iterable, NamedTuple, Sequence

import numpy as np
from rapidfuzz import fuzz, process

from khabar.cache import cache_dir, files_digest, load_pickle, store_pickle
from tasks.actors import (  # re-exported: the flow imports the linking API from here
    ActorDictionary, EntityLookup, dictionary_entity_rows, entity_lookup, entity_row, load_dictionary,
)
from tasks.agents import find_agents
from tasks.dates import load_date_words
from tasks.ids import stable_id
from tasks.joined import cut_points, load_before_names, load_fused, load_non_joining, split_token
from tasks.normalize import normalize_for_match, strip_punct_span
from tasks.romanize import romanize, rules as romanize_rules

__all__ = ["LinkOutput", "link_article", "dateline_source", "load_dictionary", "dictionary_entity_rows", "entity_lookup",
           "EntityLookup", "provisional_id", "part_similarity"]

PART_MIN = 0.8          # per-part similarity a fuzzy name part needs
MIN_EDIT_LEN = 4        # parts shorter than this must be equal after folding: no room for an edit
SINGLE_MIN = 0.9        # a one-part name needs a confusable-level match (پوٹن, امریکا), not just a close ratio
FOLDED = 0.95           # part similarity of spellings equal up to confusable letters: as good as exact
FUZZY_SINGLE_LEN = 5    # a one-word name matched only fuzzily needs at least this many letters
MULTI_MEAN = 0.85       # mean part similarity a several-part name needs
CONTEXT_WINDOW = 6      # tokens before a name searched for role words and countries
PLACE_COUNTRY_NAMED = 0.3  # a place whose country the article names elsewhere (جارجیا beside امریکا: the US state)
COUNTRY_PRIOR = 0.12    # a country over a region of the same name when the article says nothing more
TYPE_LABEL = {"PERSON": "PERSON", "ORGANIZATION": "ORGANIZATION", "COUNTRY": "LOCATION", "CITY": "LOCATION",
              "LOCATION": "LOCATION"}
PROVISIONAL_LABELS = {"PERSON", "ORGANIZATION", "LOCATION"}


@dataclass
class LinkOutput:
    mentions: list[dict]
    entities: list[dict]


def provisional_id(name: str, dictionary: ActorDictionary | None = None) -> str:
    """Id of a provisional entity: derived from the name's key, so every article agrees on it.

    The key drops honorifics (ڈاکٹر علامہ X = X), spaces (نوازشریف = نواز شریف) and confusable-letter differences
    (پوٹن = پوتن), so one unknown person written several ways is one provisional entity."""
    idx = _index(dictionary or load_dictionary(), "")  # folding and honorifics: any index has them
    parts = _key(name).split()
    while len(parts) > 1 and parts[0] in idx.honorifics:
        parts = parts[1:]
    return stable_id("prov:", "".join(idx.folder.fold(p) for p in parts))


# ------------------------------------------------------------------------------------------ name parts

class _Folder:
    """Confusable-aware comparison of name parts, driven by khabar/lang/ur/confusables.yaml."""

    def __init__(self, spec: dict[str, Any]):
        table: dict[str, str] = {}
        for cls in spec.get("classes") or []:
            canon = table.get(cls[0], cls[0])
            for ch in cls:
                table.setdefault(ch, canon)
        self.table = str.maketrans(table)
        self.final = dict(spec.get("final") or {})
        self.optional = set(spec.get("optional") or [])
        self._drop_optional = str.maketrans(dict.fromkeys(c for c in self.optional if len(c) == 1))
        self._memo: dict[tuple[str, str], float] = {}
        self._folds: dict[str, str] = {}  # names and words repeat: each is folded once

    def fold(self, part: str) -> str:
        hit = self._folds.get(part)
        if hit is None:
            if len(self._folds) > 200_000:
                self._folds.clear()
            hit = self._folds[part] = self._fold(part)
        return hit

    def _fold(self, part: str) -> str:
        if part and part[-1] in self.final:
            part = part[:-1] + self.final[part[-1]]
        return part.translate(self.table)

    def skeleton(self, folded: str) -> str:
        # interior vowel letters and hamza seats only: first and last letters carry the name's identity
        if len(folded) <= 2:
            return folded
        return folded[0] + folded[1:-1].translate(self._drop_optional) + folded[-1]

    def similarity(self, a: str, b: str) -> float:
        key = (a, b)
        hit = self._memo.get(key)
        if hit is None:
            hit = self._memo[key] = self._similarity(a, b)
            if len(self._memo) > 200_000:  # bounded: names and news words repeat, but not without end
                self._memo.clear()
        return hit

    def _similarity(self, a: str, b: str) -> float:
        if a == b:
            return 1.0
        folds = self._folds  # self.fold, inlined: most parts and words are folded already
        fa, fb = folds.get(a), folds.get(b)
        if fa is None:
            fa = self.fold(a)
        if fb is None:
            fb = self.fold(b)
        if fa == fb:
            return 0.95
        if min(len(fa), len(fb)) < MIN_EDIT_LEN:
            return 0.0  # short parts have no room for an edit: فوجی is not فجی (Fiji), ایل is not ان
        score = fuzz.ratio(fa, fb) / 100.0
        # only a score under 0.9 can the skeletons change, and they keep the first and last letters: compared only
        # when those agree (1 in 12 of a dev pass's comparisons; the skeletons took 40 % of their time)
        if score < 0.9 and fa[0] == fb[0] and fa[-1] == fb[-1]:
            sa = self.skeleton(fa)
            if len(sa) >= 2 and sa == self.skeleton(fb):
                score = 0.9
        return score


def part_similarity(a: str, b: str, dictionary: ActorDictionary | None = None) -> float:
    """Similarity of two name parts in matching form (1.0 identical, 0.95 same up to confusables, …)."""
    return _index(dictionary or load_dictionary(), "").folder.similarity(_key(a), _key(b))


@lru_cache(maxsize=65536)  # words repeat across tokens and articles; normalising is most of tokenising's cost
def _key(text: str) -> str:
    return normalize_for_match(text).casefold()


_OWN_NAMES: dict[tuple[str, int], tuple[frozenset[str], frozenset[str]]] = {}


def _own_names(actor: Actor) -> tuple[frozenset[str], frozenset[str]]:
    """Every word of an actor's Urdu names (matching form) and of its other names (casefolded); memoised."""
    hit = _OWN_NAMES.get((actor.entity_id, id(actor)))
    if hit is not None:
        return hit
    ur = frozenset(w for names in (actor.aliases.get("ur", ()), actor.short.get("ur", ())) for n in names
                   for w in _key(n).split())
    other = frozenset(w.casefold().strip(".") for lang, names in actor.aliases.items() if lang != "ur"
                      for n in names for w in n.split())
    if len(_OWN_NAMES) > 50_000:
        _OWN_NAMES.clear()
    _OWN_NAMES[(actor.entity_id, id(actor))] = ur, other
    return ur, other


def _own_given_name(key: str, actor: Actor) -> bool:
    """Is this word one of the actor's own names: written in its Urdu aliases, or romanised to an English one?"""
    ur, other = _own_names(actor)
    return key in ur or any(w.casefold() in other for form in romanize([key]) for w in form.split())


# ------------------------------------------------------------------------------------------------ index

class _Pattern(NamedTuple):  # ~13,000 per index: a tuple builds ~10x faster than a frozen dataclass
    pid: int
    kind: str              # alias | short | demonym | demonym_ctx | role
    parts: tuple[str, ...]
    entity_id: str | None
    role: str | None = None
    common: bool = False   # every part is an everyday word (کم): links only as coreference
    joined: bool = False   # an alias written without its spaces: matched exactly, never fuzzily (ٹیارٹی ≠ تجارتی)


def _short_forms_written_apart(actor: Actor, parts_of: Callable[[str], tuple[str, ...]] | None = None
                               ) -> set[tuple[str, ...]]:
    """A one-word short form as the actor's own full aliases write it in two words (روزویلٹ in "فرینکلن ڈی روز
    ویلٹ"): papers that split the full name split the short one too. ``parts_of``: a name's key parts (the build
    has them already)."""
    parts_of = parts_of or (lambda n: tuple(_key(n).split()))
    shorts = set()
    for names in actor.short.values():
        for n in names:
            parts = parts_of(n)
            if len(parts) == 1:
                shorts.add(parts[0])
    out: set[tuple[str, ...]] = set()
    if not shorts:
        return out
    for names in actor.aliases.values():
        for n in names:
            parts = parts_of(n)
            if len(parts) >= 3 and "".join(parts[-2:]) in shorts:
                out.add(parts[-2:])
    return out


class _Index:
    def __init__(self, d: ActorDictionary, latin: bool = True):
        """``latin=False`` leaves out the names written in Latin letters (two in five of the patterns): they can
        only match a token in Latin letters, so an article without any reads the same without them."""
        self.folder = _Folder(d.confusables)
        ctx = d.context
        self.function_words = {_key(w) for w in ctx.get("function_words") or []}
        self.head_markers = {_key(w) for w in ctx.get("head_markers") or []}
        self.common_words = {_key(w) for w in ctx.get("common_words") or []}
        self.role_modifiers = {_key(w) for w in ctx.get("role_modifiers") or []}
        self.epithets = {_key(w) for w in ctx.get("epithets") or []}
        self.qualifiers = {_key(w): kind for kind, words in (ctx.get("qualifiers") or {}).items() for w in words}
        self.honorifics = {_key(w) for w in ctx.get("honorifics") or []}
        self.coordinators = {_key(w) for w in ctx.get("coordinators") or []}
        self.family_words = {_key(w) for w in ctx.get("family_words") or []}
        self.country_links = {_key(w) for w in ctx.get("country_links") or []}
        self.name_markers = {_key(w) for w in ctx.get("name_markers") or []}
        dw = load_date_words()
        self.never_in_names = {_key(w) for w in (*(ctx.get("never_in_names") or []), *dw.months, *dw.weekdays)}
        self.title_blockers = {_key(w) for w in ctx.get("title_blockers") or []}
        local = ctx.get("local_offices") or {}
        self.local_units = {_key(w) for w in local.get("units") or []}
        self.local_genitive = {_key(w) for w in local.get("genitive") or []}
        self.local_roles = set(local.get("roles") or [])
        self.everyday_readings: dict[str, dict[str, Any]] = {}
        for rule in ctx.get("everyday_readings") or []:
            after = {_key(w) for w in rule.get("after") or []}
            if rule.get("after_weekday"):
                after |= {_key(w) for w in dw.weekdays}
            self.everyday_readings[_key(rule["word"])] = {
                "after": after, "skip": {_key(w) for w in rule.get("skip") or []},
                "before": {_key(w) for w in rule.get("before") or []}, "before_number": bool(rule.get("before_number")),
                "only_before": {_key(w) for w in rule["only_before"]} if "only_before" in rule else None}
        named = ctx.get("named_marker") or {}
        self.named_markers = {_key(w) for w in named.get("words") or []}
        self.person_nouns = {_key(w) for w in named.get("person_nouns") or []}
        # month and weekday names are never a provisional name (NER tags جنوری as a place, ستمبر as a person)
        self.frequent = d.frequent_words | {_key(w) for w in (*dw.months, *dw.weekdays)}
        self.fused = load_fused()
        self.non_joining = load_non_joining()
        self.before_names = load_before_names()
        self.lookup = entity_lookup(d)
        self.places = {a.entity_id for a in d.actors.values() if a.type in ("COUNTRY", "CITY", "LOCATION")}
        self.align_trees: dict[str, tuple[list[int], _AlignNode]] = {}  # _align_tree's, built as first parts occur
        # _candidates': by form, its close first parts and those near it; the skeletons of forms and first parts
        self.close_memo: tuple[list[str] | None, dict[str, tuple[list[str], set[str]]], dict[str, str]] = \
            (None, {}, {})
        built = _load_cached(d, latin)
        if built is None:
            built = self._build_patterns(d, latin)
            _store_cached(d, latin, built)
        for name in _CACHED_FIELDS:
            setattr(self, name, built[name])

    def _build_patterns(self, d: ActorDictionary, latin: bool) -> dict[str, Any]:
        """The part of the index built from the ~15,000 name patterns (most of the build): what the cache holds.
        Written for speed (every change to the dictionary or the code rebuilds it once): each name keyed once,
        each pattern filed in every lookup as it is made (one pass; two more passes over the patterns cost ~15 %
        of the build)."""
        patterns: list[_Pattern] = []
        self.patterns = patterns
        seen: set[tuple] = set()
        common_words = self.common_words
        keyed: dict[str, tuple[str, ...]] = {}
        # Exact matches: the patterns by their words, and how many words the longest one starting with a word has.
        # (An Aho-Corasick automaton over the names' letters did this until 2026-11: ~10x slower to build and to
        # pickle than these two dicts, for the same matches; over words as its letters, slower still to build.)
        by_words: dict[tuple[str, ...], list[int]] = {}
        longest: dict[str, int] = {}
        # Fuzzy candidates start from the first part; roles and demonyms are closed word lists, matched exactly.
        # Also: whole one-word keys of names, the words that may be written joined to a name, and every listed
        # person's names and short forms, for a name its title marks (صدر X) but context did not link.
        first_parts: dict[str, list[int]] = {}
        name_words: set[str] = set()
        name_starts: set[str] = set()
        role_words: set[str] = set()
        person_names: dict[tuple[str, ...], set[str]] = {}
        fold, folds = self.folder.fold, self.folder._folds  # fold's memo, read first: most first words repeat
        people = {a.entity_id for a in d.actors.values() if a.type == "PERSON"}
        make = tuple.__new__  # _Pattern(...) goes through a Python __new__

        def parts_of(name: str) -> tuple[str, ...]:
            parts = keyed.get(name)
            if parts is None:
                parts = keyed[name] = tuple(_key(name).split())
            return parts

        def add_parts(kind: str, parts: tuple[str, ...], entity_id: str | None, role: str | None,
                      joined: bool = False) -> None:
            seen_key = (kind, parts, entity_id, role)
            if not parts or seen_key in seen:
                return
            seen.add(seen_key)
            pid = len(patterns)
            common = common_words.issuperset(parts)
            patterns.append(make(_Pattern, (pid, kind, parts, entity_id, role, common, joined)))
            pids = by_words.get(parts)
            if pids is None:
                by_words[parts] = [pid]
            else:
                pids.append(pid)
            first, n = parts[0], len(parts)
            if longest.get(first, 0) < n:
                longest[first] = n
            if kind == "alias" or kind == "short":
                name_words.add(first)
                if n > 1:
                    name_starts.add(first)
                if not joined:
                    folded = folds.get(first)
                    first_parts.setdefault(folded if folded is not None else fold(first), []).append(pid)
                    if not common and entity_id in people:
                        ids = person_names.get(parts)
                        if ids is None:
                            person_names[parts] = {entity_id}
                        else:
                            ids.add(entity_id)
            elif kind == "demonym":
                name_words.add(first)
            elif kind == "role":
                role_words.add(parts[-1])
            if n > 1:  # written joined (نوازشریف, وزیراعظم): the same name, matched exactly
                add_parts(kind, ("".join(parts),), entity_id, role, True)  # parts are keyed already

        def add(kind: str, names: Iterable[str], entity_id: str | None, role: str | None = None) -> None:
            for name in names:
                if latin or not _LATIN.search(name):
                    parts = keyed.get(name)
                    add_parts(kind, parts if parts is not None else parts_of(name), entity_id, role)

        for actor in d.actors.values():
            eid = actor.entity_id
            for names in actor.aliases.values():
                add("alias", names, eid)
            for names in actor.short.values():
                add("short", names, eid)
            if actor.short:
                for short in _short_forms_written_apart(actor, parts_of):  # روز ویلٹ, as "فرینکلن ڈی روز ویلٹ"
                    add_parts("short", short, eid, None)                # writes روزویلٹ
        for word, eid in d.demonyms.items():
            add("demonym", (word,), eid)
        for word, eid in d.demonyms_need_context.items():
            add("demonym_ctx", (word,), eid)
        for key, rdef in d.roles.items():
            for words in rdef.words.values():
                add("role", words, None, key)
        self.by_words, self.longest, self.first_parts = by_words, longest, first_parts
        self.name_words, self.name_starts, self.role_words = name_words, name_starts, role_words
        self.person_names = person_names
        self.first_keys = list(first_parts)
        return {name: getattr(self, name) for name in _CACHED_FIELDS}

    def split_name(self, key: str) -> list[tuple[int, int, str]]:
        """A token the dictionary does not know, read as two words at a dropped space (joined_words.yaml):
        a known name + a postposition (کشمیرمیں), a role word + the start of a known name (صدرحسنی), or a
        postposition of ``before_names`` + the start of a known name of three letters or more (نےٹرمپ)."""
        whole = [(0, len(key), key)]
        if key in self.name_words or key in self.first_parts or key in self.function_words:
            return whole
        for cut in cut_points(key, self.non_joining):
            left, right = key[:cut], key[cut:]
            if (left in self.name_words and right in self.function_words) or \
                    (left in self.role_words and (right in self.name_starts or right in self.name_words)) or \
                    (left in self.before_names and len(right) >= 3 and key not in self.frequent and
                     (right in self.name_starts or right in self.name_words)):
                return [(0, cut, left), (cut, len(key), right)]
        return whole


_CACHED_FIELDS = ("patterns", "by_words", "longest", "first_parts", "first_keys", "name_words", "name_starts", "role_words",
                  "person_names")
_CACHE_FORMAT = 3  # 2: exact matches by words (no automaton), patterns stored as plain tuples; 3: as columns
_TASKS_DIR = Path(__file__).resolve().parent
_LANG_DIR = _TASKS_DIR.parent / "khabar" / "lang"


def _cache_path(d: ActorDictionary, latin: bool) -> Path | None:
    """The cache file for this dictionary's index, named by a hash of everything the index is built from: the
    dictionary's actor files, all language data (khabar/lang), the tasks' code, the libraries' versions, the
    latin flag. None when there is no cache or the dictionary was not read from files (built in a test)."""
    folder = cache_dir()
    if folder is None or not d.sources:
        return None
    # the dictionary's files are mostly in khabar/lang too: each read and hashed once
    digest = files_digest((*d.sources, *sorted(_LANG_DIR.rglob("*")), *sorted(_TASKS_DIR.glob("*.py"))),
                          _CACHE_FORMAT, sys.version, _babel_version())
    return None if digest is None else folder / f"link-index-{digest}-{'latin' if latin else 'urdu'}.pickle"


def _babel_version() -> str:
    try:
        import babel
        return babel.__version__
    except Exception:  # noqa: BLE001 - the version only keys the cache
        return ""


def _load_cached(d: ActorDictionary, latin: bool) -> dict[str, Any] | None:
    """The cached build, or None when there is none or it cannot be read (then it is rebuilt and rewritten)."""
    built = load_pickle(_cache_path(d, latin))
    if isinstance(built, dict) and "pattern_columns" in built and \
            all(name in built for name in _CACHED_FIELDS if name != "patterns"):
        columns = built.pop("pattern_columns")
        built["patterns"] = list(map(_Pattern._make, zip(range(len(columns[0])), *columns)))
        return built
    return None


def _store_cached(d: ActorDictionary, latin: bool, built: dict[str, Any]) -> None:
    """Write the build to the cache (khabar.cache: atomic; old builds not written for 30 days dropped), the
    patterns as columns without their pid (their position): a NamedTuple pickles through a Python call each (3x
    slower than a plain tuple), and 15,000 tuples are each memoised by the pickler (columns: dump -35 %, load -15 %)."""
    patterns = built["patterns"]
    columns = tuple(zip(*patterns))[1:] if patterns else ((),) * (len(_Pattern._fields) - 1)
    store_pickle(_cache_path(d, latin), {**{k: v for k, v in built.items() if k != "patterns"},
                                         "pattern_columns": columns}, stale_glob="link-index-*")


_INDEXES: dict[tuple[int, bool], tuple[ActorDictionary, _Index]] = {}
_INDEXES_FROZEN: list[bool] = []
_LATIN = re.compile(r"[A-Za-z]")


def _index(d: ActorDictionary, text: str | None = None) -> _Index:
    """The dictionary's index; for a ``text`` without Latin letters, the smaller one without Latin-script names
    (most Urdu articles: built in ~60 % of the time, the results are the same)."""
    latin = text is None or bool(_LATIN.search(text))
    hit = _INDEXES.get((id(d), latin))
    if hit is None or hit[0] is not d:
        # The dictionary and its index live as long as the process and never change: the cyclic collector
        # has nothing to find in them, yet its scans of their ~10^5 objects took half of the build and a fifth
        # of a first pass over 30 articles. No collection while building; then they are left out of all scans.
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            hit = (d, _Index(d, latin))
        finally:
            if was_enabled:
                gc.enable()
        _INDEXES[(id(d), latin)] = hit
        if not _INDEXES_FROZEN:  # frozen objects outlive the interpreter's teardown, and DuckDB's bindings
            atexit.register(gc.unfreeze)  # (nanobind) then print 'leaked instances' at every exit: thaw first
            _INDEXES_FROZEN.append(True)
        gc.freeze()
    return hit[1]


# ----------------------------------------------------------------------------------------------- tokens

@dataclass
class _Tok:
    i: int
    sent: int
    start: int
    end: int
    key: str
    upos: str | None


def _glue_cut_latin_words(text: str, tokens: list[dict]) -> list[dict]:
    """Tokens with offsets, the pieces of a Latin word that the Urdu tokenizer cut ('Vl' + 'adimir': nothing
    between them, letters on both sides) joined again, so no name is matched from inside a word."""
    out: list[dict] = []
    for t in tokens:
        s = t.get("start_char")
        if s is None:
            continue
        prev = out[-1] if out else None
        if (prev is not None and prev["end_char"] == s and prev["sentence_index"] == t["sentence_index"]
                and 0 < s < len(text) and text[s - 1].isascii() and text[s - 1].isalnum()
                and text[s].isascii() and text[s].isalnum()):
            out[-1] = {**prev, "end_char": t["end_char"], "text": text[prev["start_char"]:t["end_char"]]}
        else:
            out.append(t)
    return out


def _tokens(text: str, tokens: list[dict], fused: dict[str, tuple[str, ...]] | None = None,
            split_name: Callable[[str], list[tuple[int, int, str]]] | None = None) -> list[_Tok]:
    """Word tokens with their matching keys; a joined token (کیخلاف) becomes its words, offsets kept inside it."""
    out = []
    for t in _glue_cut_latin_words(text, sorted(tokens, key=lambda r: (r["sentence_index"], r["token_index"]))):
        s, e = strip_punct_span(text, t["start_char"], t["end_char"])
        key = _key(text[s:e]) if e > s else ""
        upos = t.get("upos") if e > s else "PUNCT"
        pieces = split_token(key, fused or {}) if key else [(0, 0, "")]
        if len(pieces) == 1 and key and (m := _DIGITS_GLUED.match(key)):  # "53راشٹریہ": a number glued on
            pieces = [(0, m.end(1), m.group(1)), (m.end(1), len(key), m.group(2))]
        if len(pieces) == 1 and split_name is not None and key:
            pieces = split_name(key)
        same_len = len(key) == e - s  # offsets inside the key are offsets inside the text
        for ps, pe, word in pieces:
            a, b = (s + ps, s + pe) if same_len and len(pieces) > 1 else (s, e)
            out.append(_Tok(len(out), t["sentence_index"], a, b, word, upos if len(pieces) == 1 else "ADP"))
    return out


# ------------------------------------------------------------------------------------------- candidates

@dataclass
class _Cand:
    start: int             # token index
    end: int               # exclusive
    pattern: _Pattern
    score: float
    exact: bool
    strong: bool = True    # every part equal up to confusable letters; False: an edit-distance (fuzzy) match


def _candidates(toks: list[_Tok], idx: _Index, fuzzy_starts: set[int] | frozenset[int] = frozenset()) -> list[_Cand]:
    """Exact and confusable-equal alias matches anywhere; edit-distance ones only from ``fuzzy_starts`` tokens."""
    cands: list[_Cand] = []
    # sentences are matched separately: a name never crosses a sentence boundary
    sentences: dict[int, list[_Tok]] = {}
    for t in toks:
        sentences.setdefault(t.sent, []).append(t)
    # edit-distance spellings: only tokens something marks as a name (the only ones allowed to link fuzzily
    # later), never an everyday word; each distinct form once, vectorised against every first part
    forms = sorted({idx.folder.fold(t.key) for t in toks if t.i in fuzzy_starts and t.key and
                    t.key not in idx.frequent})
    # a form's close first parts, and of those the ones whose patterns' first part may reach PART_MIN against the
    # form itself (a ratio of PART_MIN, or the same skeleton; folder.similarity); the others only against the form
    # joined to the next token (_near_joined), else never: 9 in 10 of the close first parts of a dev pass. Kept
    # with the index by form (names recur from article to article: 337 forms in the 30 dev articles, 269 distinct)
    memo_keys, memo, skeletons = idx.close_memo
    if memo_keys is not idx.first_keys:  # a copy of the index with other first parts (tests)
        memo, skeletons = {}, {}
        idx.close_memo = (idx.first_keys, memo, skeletons)
    if len(memo) > 100_000:  # bounded: names recur, but not without end
        memo.clear()
    new_forms = [f for f in forms if f not in memo]
    if new_forms:
        for f in new_forms:
            memo[f] = ([], set())
        scores = process.cdist(new_forms, idx.first_keys, scorer=fuzz.ratio, score_cutoff=PART_MIN * 100 - 15,
                               workers=1)
        rows, cols = np.nonzero(scores)
        skeleton, first_keys = idx.folder.skeleton, idx.first_keys
        for r, k, score in zip(rows.tolist(), cols.tolist(), scores[rows, cols].tolist()):
            first, form = first_keys[k], new_forms[r]
            if first != form:
                firsts, near_form = memo[form]
                firsts.append(first)
                sf = skeletons.get(first)
                if sf is None:
                    sf = skeletons[first] = skeleton(first)
                sw = skeletons.get(form)
                if sw is None:
                    sw = skeletons[form] = skeleton(form)
                if score >= PART_MIN * 100 - 1 or sf == sw:  # a point below: float32 scores
                    near_form.add(first)
    close: dict[str, list[str]] = {f: memo[f][0] for f in forms if memo[f][0]}
    near: dict[str, set[str]] = {f: memo[f][1] for f in forms if memo[f][1]}
    by_words, longest = idx.by_words, idx.longest
    for sent_toks in sentences.values():
        words = [t for t in sent_toks if t.key]
        if not words:
            continue
        # exact matches over the words (a token whose key is several words, rare, gives several: a match starts at
        # a token's first word and ends at a token's last), in the order an automaton reports them: by the end,
        # the longer first
        seq: list[str] = []
        firsts: list[_Tok | None] = []
        lasts: list[_Tok | None] = []
        for t in words:
            if " " in t.key:
                ws = t.key.split(" ")
                seq += ws
                firsts += [t] + [None] * (len(ws) - 1)
                lasts += [None] * (len(ws) - 1) + [t]
            else:
                seq.append(t.key)
                firsts.append(t)
                lasts.append(t)
        exact = []
        for i, w in enumerate(seq):
            n_max = longest.get(w)
            if n_max is None or firsts[i] is None:
                continue
            for n in range(1, min(n_max, len(seq) - i) + 1):
                pids = by_words.get(tuple(seq[i:i + n]))
                if pids is not None and lasts[i + n - 1] is not None:
                    exact.append((i + n - 1, -n, pids))
        exact.sort()
        for end, neg_n, pids in exact:
            first, last = firsts[end + neg_n + 1], lasts[end]
            for pid in pids:
                cands.append(_Cand(first.i, last.i + 1, idx.patterns[pid], 1.0, True))
        # spellings equal up to confusable letters (پوٹن/پوتن): any token, by a lookup of its folded form
        folded = [idx.folder.fold(t.key) for t in words]
        starts: list[tuple[int, str]] = [(wi, f) for wi, f in enumerate(folded) if f in idx.first_parts]
        for wi, t in enumerate(words):
            if t.i in fuzzy_starts and folded[wi] in close:
                cl = close[folded[wi]]
                ok = near.get(folded[wi], frozenset())
                joined_key = _joined_key(words, wi, idx.function_words)
                if joined_key is not None:
                    ok = ok | _near_joined(cl, joined_key, idx.folder, skeletons)
                starts += [(wi, first) for first in cl if first in ok]
        # every pattern of a first part aligned at once, along the tree of their parts (_AlignNode): what
        # _align(pattern, words, wi) gives for each, in the first part's order of patterns
        for wi, first in starts:
            pids = idx.first_parts[first]
            got: list[tuple[int, tuple[int, float, float]]] = []
            _walk(_align_tree(idx, first, pids), words, wi, [], idx.folder, idx.function_words, got)
            if got:
                got.sort()
                for pos, (end_w, score, weakest) in got:
                    cands.append(_Cand(words[wi].i, words[end_w - 1].i + 1, idx.patterns[pids[pos]], score,
                                       score >= 1.0, weakest >= FOLDED))
    return cands


class _AlignNode(NamedTuple):
    """The patterns of one first part as a tree of their parts: patterns sharing their first k parts share the
    first k comparisons (111 patterns start with محمد; each محمد of a text compared their parts one by one)."""
    ends: list[int]               # positions, in the first part's list, of the patterns ending here
    kids: dict[str, _AlignNode]   # next part -> node
    wide: list                    # [] or, for a node of many children, [folds, by_fold, by_skel]: _worth_comparing


ALIGN_FILTER_MIN = 12  # children of a node from which a vectorised filter picks those worth comparing
_node = tuple.__new__  # _AlignNode(...) goes through a Python __new__


def _align_tree(idx: _Index, first: str, pids: list[int]) -> _AlignNode:
    """The tree of ``idx.first_parts[first]``'s patterns, built on first use in the process and kept with the
    index, not in its cache (the 30 dev articles use 646 of the Urdu index's 3,759 first parts)."""
    hit = idx.align_trees.get(first)
    if hit is not None and hit[0] is pids:
        return hit[1]
    root = _node(_AlignNode, ([], {}, []))
    wide = []
    for pos, pid in enumerate(pids):
        node = root
        for part in idx.patterns[pid].parts:
            child = node.kids.get(part)
            if child is None:
                child = node.kids[part] = _node(_AlignNode, ([], {}, []))
                if len(node.kids) == ALIGN_FILTER_MIN:
                    wide.append(node)
            node = child
        node.ends.append(pos)
    folder = idx.folder
    for node in wide:
        folds = [folder.fold(part) for part in node.kids]
        by_fold: dict[str, list[int]] = {}
        by_skel: dict[str, list[int]] = {}
        for i, f in enumerate(folds):
            by_fold.setdefault(f, []).append(i)
            by_skel.setdefault(folder.skeleton(f), []).append(i)
        node.wide[:] = [folds, by_fold, by_skel]
    idx.align_trees[first] = (pids, root)
    return root


def _worth_comparing(node: _AlignNode, keys: tuple[str | None, str | None], folder: _Folder
                     ) -> list[tuple[str, _AlignNode]]:
    """The children whose part may reach PART_MIN against one of ``keys`` (a superset: each is then compared as
    _align compares it). ``folder.similarity`` is >= PART_MIN only for the same fold, or for folds of at least
    MIN_EDIT_LEN letters with a ratio of at least PART_MIN or the same skeleton."""
    folds, by_fold, by_skel = node.wide
    keep: set[int] = set()
    for key in keys:
        if key is None:
            continue
        fk = folder.fold(key)
        keep.update(by_fold.get(fk, ()))
        if len(fk) >= MIN_EDIT_LEN:
            keep.update(by_skel.get(folder.skeleton(fk), ()))
            keep.update(i for _, _, i in process.extract(fk, folds, scorer=fuzz.ratio,
                                                          score_cutoff=PART_MIN * 100 - 1, limit=None))
    children = list(node.kids.items())
    return [children[i] for i in sorted(keep)]


def _joined_key(words: list[_Tok], j: int, function_words: frozenset[str] | set[str]) -> str | None:
    """words[j] and words[j + 1] as one word, as _align may compare a part with them: written apart (at most a
    space between), neither a function word; else None."""
    if j + 1 < len(words) and words[j + 1].start - words[j].end <= 1 and words[j].key not in function_words and \
            words[j + 1].key not in function_words:
        return words[j].key + words[j + 1].key
    return None


def _near_joined(firsts: list[str], joined_key: str, folder: _Folder, skeletons: dict[str, str]) -> set[str]:
    """Of ``firsts`` (folded first parts), those whose patterns' first part may reach PART_MIN against
    ``joined_key`` (a superset, as _worth_comparing's)."""
    fj = folder.fold(joined_key)
    sj = folder.skeleton(fj)
    out = {firsts[i] for _, _, i in process.extract(fj, firsts, scorer=fuzz.ratio, score_cutoff=PART_MIN * 100 - 1,
                                                    limit=None)}
    out.update(f for f in firsts if f == fj or skeletons[f] == sj)
    return out


def _walk(node: _AlignNode, words: list[_Tok], j: int, sims: list[float], folder: _Folder,
          function_words: frozenset[str] | set[str], out: list[tuple[int, tuple[int, float, float]]]) -> None:
    """_align for every pattern below ``node`` whose parts so far scored ``sims``, the next part at words[j]:
    (position, _align's result) of each pattern that aligns, appended to ``out``."""
    if j >= len(words):
        return
    key = words[j].key
    joined_key = _joined_key(words, j, function_words)
    children = node.kids.items() if not node.wide else _worth_comparing(node, (key, joined_key), folder)
    similarity = folder.similarity
    for part, child in children:
        best, step = similarity(part, key), 1
        if best < 1.0 and joined_key is not None:
            joined = similarity(part, joined_key)
            if joined > best and joined >= PART_MIN:
                best, step = joined, 2
        if best < PART_MIN:
            continue
        sims.append(best)
        if child.ends:
            mean = sum(sims) / len(sims)
            if mean >= (SINGLE_MIN if len(sims) == 1 else MULTI_MEAN):
                got = (j + step, mean, min(sims))
                out += [(pos, got) for pos in child.ends]
        if child.kids:
            _walk(child, words, j + step, sims, folder, function_words, out)
        sims.pop()


def _align(p: _Pattern, words: list[_Tok], wi: int, folder: _Folder,
           function_words: frozenset[str] | set[str] = frozenset()) -> tuple[int, float, float] | None:
    """Align the pattern's parts, in order, with tokens from words[wi]; a part may span two tokens. The plain way:
    _candidates aligns all patterns of a first part together (_walk), with the same results
    (tests/test_link_index.py)."""
    sims, j = [], wi
    for part in p.parts:
        if j >= len(words):
            return None
        best, step = folder.similarity(part, words[j].key), 1
        if best < 1.0 and j + 1 < len(words) and words[j + 1].start - words[j].end <= 1 and \
                words[j].key not in function_words and words[j + 1].key not in function_words:
            joined = folder.similarity(part, words[j].key + words[j + 1].key)
            if joined > best and joined >= PART_MIN:
                best, step = joined, 2
        if best < PART_MIN:
            return None
        sims.append(best)
        j += step
    mean = sum(sims) / len(sims)
    if mean < (SINGLE_MIN if len(sims) == 1 else MULTI_MEAN):
        return None
    return j, mean, min(sims)


# ------------------------------------------------------------------------------------------------ context

def _article_date(article: dict) -> date | None:
    when = article.get("published_at")
    if isinstance(when, datetime):
        return when.date()
    if isinstance(when, date):
        return when
    return None


@dataclass
class _Context:
    role: str | None = None
    country: str | None = None   # ISO alpha-3
    qualifier: str | None = None  # former | elect (name_context.yaml qualifiers)


def _context_before(start: int, toks: list[_Tok], roles_at: dict[int, _Cand], places_at: dict[int, str],
                    idx: _Index) -> _Context:
    """Role word right before the name (modifiers allowed), and the country named before that role."""
    ctx = _Context()
    j = start - 1
    sent = toks[start].sent
    while j >= 0 and toks[j].sent == sent and toks[j].key in idx.role_modifiers:
        ctx.qualifier = ctx.qualifier or idx.qualifiers.get(toks[j].key)
        j -= 1
    role = roles_at.get(j)
    if role is None:
        return ctx
    ctx.role = role.pattern.role
    j = role.start - 1
    # counted from the role's first word: a long title ("انڈر سیکرٹری آف سٹیٹ") does not eat the window
    lowest = max(0, role.start - CONTEXT_WINDOW)
    while j >= lowest and toks[j].sent == sent:
        if j in places_at:
            ctx.country = places_at[j]
            k = j - 1  # "سابق امریکی صدر X": the qualifier may stand before the country too
            while k >= lowest and toks[k].sent == sent and toks[k].key in idx.role_modifiers:
                ctx.qualifier = ctx.qualifier or idx.qualifiers.get(toks[k].key)
                k -= 1
            break
        if toks[j].key not in idx.role_modifiers and toks[j].key not in idx.head_markers and \
                toks[j].key not in idx.country_links:
            break
        ctx.qualifier = ctx.qualifier or idx.qualifiers.get(toks[j].key)
        j -= 1
    return ctx


LOCAL_POSSESSOR = 3  # words of an unnamed province or state before its office ("ریاست گوریرو کے گورنر")


def _local_office_country(start: int, toks: list[_Tok], roles_at: dict[int, _Cand], places_at: dict[int, str],
                          idx: _Index) -> str | None:
    """"ریاست کی گورنر X", "پھینگ نیگا کے گورنر X": an office of a province, state or city the dictionary does not
    know (a unit word, or an unknown name before a local office) is in the country the article named last."""
    j = start - 1
    while j >= 0 and toks[j].key in idx.role_modifiers:
        j -= 1
    role = roles_at.get(j)
    if role is None:
        return None
    k = role.start - 1
    while k >= 0 and toks[k].key in idx.role_modifiers:
        k -= 1
    if k < 1 or toks[k].key not in idx.local_genitive or toks[k - 1].sent != toks[start].sent:
        return None
    # the owner right before the genitive: a unit word, or an unknown name of a local office or after a unit word
    # (not "صوبے کی پولیس کے کمانڈر": the police's commander)
    owner = [t for t in toks[max(0, k - LOCAL_POSSESSOR):k] if t.sent == toks[start].sent]
    last = toks[k - 1]
    if not (last.key in idx.local_units or (last.upos == "PROPN" and k - 1 not in places_at and (
            role.pattern.role in idx.local_roles or any(t.key in idx.local_units for t in owner)))):
        return None
    before = [p for p in places_at if p < role.start]
    return places_at[max(before)] if before else None


def _fuzzy_allowed(c: _Cand, toks: list[_Tok], marked: set[int], named: set[int], idx: _Index) -> bool:
    """An edit-distance match only where something marks a name, never on an everyday word or a short one.

    ``marked``: tokens in an NER span, tagged PROPN or right after a role word; ``named``: the same without the
    PROPN tag, which the small tagger gives to many ordinary words (اوران "and them" would become ایران). A
    one-word name needs the stronger mark."""
    span = toks[c.start:c.end]
    keys = [t.key for t in span]
    if len(c.pattern.parts) == 1:
        if idx.places and c.pattern.entity_id in idx.places:
            return False  # a one-word place only by its listed spellings: آریان is a name, گنج not Guinea
        word = "".join(keys)
        return any(t.i in named for t in span) and word not in idx.frequent and \
            not any(k in idx.frequent for k in keys) and len(word) >= FUZZY_SINGLE_LEN
    if not any(t.i in marked for t in span):
        return False
    return not all(k in idx.frequent or k in idx.function_words for k in keys)


def _mention_code(actor: Actor, ctx: _Context, when: date | None, idx: _Index) -> str | None:
    """CAMEO code of a linked mention on the article's date: the office then held (role at date); a former or
    not-yet-sworn-in office holder named as such is an elite (COUNTRY + ELI)."""
    if actor.type == "PERSON" and ctx.qualifier in ("former", "elect") and actor.country:
        return f"{actor.country}ELI"
    return idx.lookup.code_at(actor.entity_id, when)


def _context_code(ctx: _Context, d: ActorDictionary) -> str | None:
    """Code of an unknown name from its context: "اسرائیلی وزیر دفاع X" -> ISRMIL; "سابق وزیر X" -> ISRELI."""
    if not ctx.country:
        return None
    if ctx.qualifier in ("former", "elect"):
        return f"{ctx.country}ELI"
    rdef = d.roles.get(ctx.role or "")
    return f"{ctx.country}{rdef.sector}" if rdef else ctx.country


def _held_role(actor: Actor, role: str, d: ActorDictionary) -> bool:
    rdef = d.roles.get(role)
    wanted = set(rdef.matches) if rdef and rdef.generic else {role}
    return any(r.role in wanted for r in actor.roles)


def _entity_score(eid: str, ctx: _Context, d: ActorDictionary, when: date | None, full_seen: set[str]) -> float:
    actor = d.actors[eid]
    score = 0.0
    if eid in full_seen:
        score += 1.0
    if not actor.alive_on(when):
        if not (ctx.qualifier == "former" and ctx.role and _held_role(actor, ctx.role, d)):
            score -= 1.0  # the dead are not named by a short form, unless as the former holder of their office
    elif when is not None and actor.roles and not any(r.active(when) for r in actor.roles) \
            and all(r.start and r.start > when for r in actor.roles):
        score -= 0.3  # not yet in public life
    if ctx.role:
        rdef = d.roles.get(ctx.role)
        wanted = set(rdef.matches) if rdef and rdef.generic else {ctx.role}
        if any(r.role in wanted and (when is None or r.active(when)) for r in actor.roles):
            score += 0.3
        elif any(r.role in wanted for r in actor.roles):
            score += 0.1
    if ctx.country:
        score += 0.3 if ctx.country == actor.country else -0.5
    return score


# -------------------------------------------------------------------------------------------------- main

def link_article(article: dict, sentences: list[dict], tokens: list[dict], ner_mentions: list[dict],
                 dictionary: ActorDictionary) -> LinkOutput:
    """Final mentions of one article (NER + dictionary, merged) and the entity rows they reference."""
    text: str = article["text"]
    idx = _index(dictionary, text)
    aid = article["article_id"]
    when = _article_date(article)
    toks = _tokens(text, tokens, idx.fused, idx.split_name)

    # NER spans by token, to know where a name continues
    ner_tok: dict[int, int] = {}
    for n, m in enumerate(ner_mentions):
        for t in toks:
            if t.start < m["end_char"] and m["start_char"] < t.end:
                ner_tok[t.i] = n
    cands = _candidates(toks, idx, set(ner_tok) | {t.i for t in toks if t.upos == "PROPN"})
    cands = [c for c in cands if not _everyday_reading(c, toks, idx)]  # اتوار کی شام is an evening, not Syria

    roles_at: dict[int, _Cand] = {}
    for c in cands:  # the longest title ending at a token: "لٹویا کے سٹیٹ سیکرٹری", not just "سیکرٹری"
        if c.pattern.kind == "role" and (c.end - 1 not in roles_at or c.start < roles_at[c.end - 1].start):
            roles_at[c.end - 1] = c
    places_at: dict[int, str] = {}
    for c in cands:
        if c.pattern.kind == "demonym" or (c.pattern.kind == "alias" and c.exact and
                                           dictionary.actors[c.pattern.entity_id].type in ("COUNTRY", "CITY")):
            actor = dictionary.actors[c.pattern.entity_id]
            places_at[c.end - 1] = actor.country
    full_seen_at: dict[str, int] = {}
    for c in cands:
        if c.pattern.kind == "alias" and dictionary.actors[c.pattern.entity_id].type == "PERSON" and \
                len(c.pattern.parts) > 1 and c.score >= 0.9:
            full_seen_at[c.pattern.entity_id] = min(full_seen_at.get(c.pattern.entity_id, 1 << 30), c.start)
    full_seen = set(full_seen_at)

    # where a place's or an organisation's exact name starts: a family name right before one ends there
    other_starts = {c.start for c in cands if c.exact and c.pattern.kind in ("alias", "demonym") and
                    dictionary.actors[c.pattern.entity_id].type != "PERSON"}

    def continues(c: _Cand) -> bool:
        """Is more of a name right after the match (کم جونگ | ڈے)? Then the match is someone else's name."""
        nxt = c.end
        if nxt >= len(toks) or toks[nxt].sent != toks[c.start].sent or not toks[nxt].key:
            return False
        key = toks[nxt].key
        if key in idx.function_words:
            return False
        if key in idx.family_words or key in idx.named_markers:
            return True  # شریف خاندان: the family, not one of its people; "کملا نامی خاتون": someone named so
        if key in idx.frequent or nxt in other_starts:
            return False  # an everyday word (مودی سرکار) or another actor's name (ٹرمپ افغانستان سے): no more name
        same_ner = c.end - 1 in ner_tok and ner_tok.get(nxt) == ner_tok[c.end - 1]
        return toks[nxt].upos == "PROPN" or same_ner

    def led_by_another_name(c: _Cand, actor: Actor) -> bool:
        """Is a given name not the actor's own right before a bare family name (میلانیا | ٹرمپ, شہباز | شریف)?
        Then it is a relative or namesake, not the actor; titles, honorifics, places and the actor's own given
        names (in Urdu, or romanised to one of its English names) before it keep the short form."""
        p = c.start - 1
        if p < 0 or toks[p].sent != toks[c.start].sent or not toks[p].key:
            return False
        key = toks[p].key
        if actor.type != "PERSON" or toks[p].end >= toks[c.start].start:
            return False  # only people have relatives; a piece of the same written word is no given name
        if any(ch in "۔.!?؟،,:;|" for ch in text[toks[p].end:toks[c.start].start]):
            return False  # a stop or comma between them: two phrases
        if key in idx.function_words or key in idx.honorifics or key in idx.role_modifiers or \
                key in idx.name_markers or key in idx.epithets or p in roles_at or p in places_at:
            return False
        if not (toks[p].upos == "PROPN" or (p in ner_tok and ner_tok.get(c.start) == ner_tok[p])):
            return False
        if key in idx.frequent or any(p == o.end - 1 and o.pattern.entity_id != actor.entity_id and
                                      o.pattern.kind in ("alias", "short") for o in cands):
            return False  # an everyday word, or the end of another actor's name (a list: "مارکو روبیو ٹرمپ")
        if any(key.endswith(w) and len(key) > len(w) + 1 for w in _own_names(actor)[0]):
            return False  # a title written into the given name: "امیدوارڈونلڈ ٹرمپ"
        return not _own_given_name(key, actor)

    # tokens something marks as a name: an NER span, a proper-noun tag, or right after a role word
    named = set(ner_tok)
    for r in roles_at.values():
        j = r.end
        while j < len(toks) and toks[j].key in idx.role_modifiers:
            j += 1
        named.update(range(j, min(j + 3, len(toks))))
    marked = named | {t.i for t in toks if t.upos == "PROPN"}

    # countries the article names without doubt (a span only one entity's alias or demonym matches, exactly or
    # equal up to confusable letters: امریکا = امریکہ): they decide a place name two places share (جارجیا: the
    # country, or the US state beside امریکا) and an institution's bare name two countries share (سینیٹ)
    exact_by_span: dict[tuple[int, int], set[str]] = {}
    for c in cands:
        if (c.exact or c.strong) and c.pattern.kind in ("alias", "demonym"):
            exact_by_span.setdefault((c.start, c.end), set()).add(c.pattern.entity_id)
    sure_countries = [(s_e, dictionary.actors[next(iter(e))].country) for s_e, e in exact_by_span.items()
                      if len(e) == 1 and dictionary.actors[next(iter(e))].type in _PLACE_TYPES]

    # score each (span, entity) candidate
    scored: list[tuple[_Cand, float, str]] = []  # candidate, total score, link method
    for c in cands:
        k = c.pattern.kind
        if k == "role":
            continue
        if not c.strong and not _fuzzy_allowed(c, toks, marked, named, idx):
            continue
        if k == "demonym_ctx" and c.end not in {r.start for r in roles_at.values()}:
            continue
        eid = c.pattern.entity_id
        actor = dictionary.actors[eid]
        if actor.type == "PERSON" and c.pattern.common and not c.exact:
            continue
        method = "dictionary" if c.exact else "fuzzy"
        ctx = _context_before(c.start, toks, roles_at, places_at, idx) if actor.type == "PERSON" else _Context()
        total = c.score + (_entity_score(eid, ctx, dictionary, when, full_seen) if actor.type == "PERSON" else 0)
        if actor.type in _PLACE_TYPES:
            if any(iso == actor.country and (b <= c.start or c.end <= a) for (a, b), iso in sure_countries):
                total += PLACE_COUNTRY_NAMED  # its country is named elsewhere in the article
            if actor.type == "COUNTRY":
                total += COUNTRY_PRIOR  # with nothing else to go by, a name shared with a region is the country
        elif actor.type == "ORGANIZATION" and actor.country and (k == "short" or not c.exact):
            # a bare or approximate name right after another country's demonym or genitive is that country's:
            # "عراقی ری پبلکن گارڈز" (Iraq's Republican Guard), not the US party ("امریکی پاکستانی ری پبلکن" is)
            p = c.start - 1
            if p >= 0 and toks[p].key in idx.head_markers and toks[p].sent == toks[c.start].sent:
                p -= 1
            if p >= 0 and p in places_at and toks[p].sent == toks[c.start].sent:
                before = {places_at[q] for q in (p, p - 1) if q >= 0 and q in places_at}
                if actor.country not in before:
                    continue
            if k == "short" and \
                    any(iso == actor.country and (b <= c.start or c.end <= a) for (a, b), iso in sure_countries):
                # an institution's bare name two countries' institutions share (کانگریس, سینیٹ): the one whose
                # country the article names elsewhere; both or neither named: equal scores, no link
                total += PLACE_COUNTRY_NAMED
        if k == "short":
            if continues(c) or led_by_another_name(c, actor):
                continue
            earlier = full_seen_at.get(eid, 1 << 30) < c.start
            if c.pattern.common:
                # an everyday word (کم): only a bare family name heading a noun phrase after a full mention
                nxt = toks[c.end].key if c.end < len(toks) and toks[c.end].sent == toks[c.start].sent else ""
                if not earlier or nxt not in idx.head_markers:
                    continue
            if earlier:
                method = "coreference"
            elif eid not in full_seen and not (ctx.role or ctx.country):
                total -= 0.25  # a bare short form with nothing to support it
            total -= 0.05      # a full-name reading of the same span wins ties
        scored.append((c, total, method))

    # pick the best entity per span, drop spans whose best is ambiguous or too weak
    by_span: dict[tuple[int, int], list[tuple[_Cand, float, str]]] = {}
    for item in scored:
        by_span.setdefault((item[0].start, item[0].end), []).append(item)
    chosen: list[tuple[_Cand, float, str]] = []
    for span, items in by_span.items():
        if any(it[0].exact for it in items):  # an exact alias always beats a fuzzy reading (کینیڈا is not کینیا)
            items = [it for it in items if it[0].exact]
        elif any(it[0].strong for it in items):
            items = [it for it in items if it[0].strong]
        best_per_entity: dict[str, tuple[_Cand, float, str]] = {}
        for it in items:
            eid = it[0].pattern.entity_id
            if eid not in best_per_entity or it[1] > best_per_entity[eid][1]:
                best_per_entity[eid] = it
        ranked = sorted(best_per_entity.values(), key=lambda it: -it[1])
        top = ranked[0]
        if top[1] < 0.7:
            continue
        if len(ranked) > 1 and top[1] - ranked[1][1] < 0.1:
            continue  # two actors fit equally well: leave it to NER / provisional rather than guess
        chosen.append(top)
    # non-overlapping spans: longer first, then better score
    # a fuzzy reading never takes tokens from an exact match of another actor
    exact_spans = [(it[0].start, it[0].end, it[0].pattern.entity_id) for it in chosen if it[0].exact]
    chosen = [it for it in chosen if it[0].strong or not any(
        s0 < it[0].end and it[0].start < e0 and eid != it[0].pattern.entity_id for s0, e0, eid in exact_spans)]
    chosen.sort(key=lambda it: (-(it[0].end - it[0].start), -it[1], it[0].start))
    # English organisation names in Urdu letters that the dictionary does not hold (نیشنل بینک آف X): they take
    # their words from any shorter match inside them (پاکستان in "نیشنل بینک آف پاکستان" is part of the name)
    org_spans = _english_org_spans(toks, idx, chosen, dictionary)
    chosen = [it for it in chosen if not any(a <= it[0].start and it[0].end <= b for a, b, _ in org_spans)]
    taken: set[int] = set()
    for a, b, _ in org_spans:
        taken |= set(range(a, b))
    final: list[tuple[_Cand, float, str]] = []
    for it in chosen:
        rng = set(range(it[0].start, it[0].end))
        if rng & taken:
            continue
        taken |= rng
        final.append(it)

    mentions: list[dict] = []
    entities: dict[str, dict] = {}
    absorbed: set[int] = set()
    for c, total, method in sorted(final, key=lambda it: it[0].start):
        s, e = toks[c.start].start, toks[c.end - 1].end
        ner_ids = {ner_tok[i] for i in range(c.start, c.end) if i in ner_tok}
        absorbed |= ner_ids
        ner = ner_mentions[min(ner_ids)] if ner_ids else None
        actor = dictionary.actors[c.pattern.entity_id]
        label = "NORP" if c.pattern.kind.startswith("demonym") else TYPE_LABEL.get(actor.type, actor.type)
        conf = {"dictionary": 0.95, "fuzzy": 0.85, "coreference": 0.85}[method] * min(1.0, c.score)
        if c.pattern.kind == "short" and method != "coreference":
            conf *= 0.9
        ctx = _context_before(c.start, toks, roles_at, places_at, idx) if actor.type == "PERSON" else _Context()
        mentions.append(_mention(aid, toks[c.start].sent, s, e, text, label, actor.entity_id, round(conf, 3),
                                 ner.get("model_label") if ner else None,
                                 "ner+dictionary" if ner else "dictionary", method,
                                 _mention_code(actor, ctx, when, idx)))
        entities.setdefault(actor.entity_id, entity_row(dictionary, actor))

    for a, b, english in org_spans:
        s, e = toks[a].start, toks[b - 1].end
        absorbed |= {ner_tok[i] for i in range(a, b) if i in ner_tok}  # an NER span inside is part of the name
        surface = text[s:e]
        pid = provisional_id(surface, dictionary)
        mentions.append(_mention(aid, toks[a].sent, s, e, text, "ORGANIZATION", pid, 0.6, None, "dictionary",
                                 "provisional"))
        entities.setdefault(pid, {**_provisional_row(pid, surface, "ORGANIZATION"), "aliases": [surface, english]})

    # names after a role word or a title that matched nothing: وزیر دفاع X Y نے, ایڈووکیٹ X نے
    role_spans: list[tuple[int, int, int]] = []  # name start, end, where its title's context is read
    markers = [(r.end, r.end) for r in roles_at.values()]
    markers += [(t.i + 1, t.i) for t in toks if t.key in idx.name_markers and t.i not in taken]
    for after, ctx_at in markers:
        if after < len(toks) and toks[after].key in idx.title_blockers:
            continue  # صدر راج: President's rule, no president named
        first = _after_parenthesis(after, toks, text)  # ایڈیشنل سیکرٹری (یورپ) X
        while first < len(toks) and (toks[first].key in idx.honorifics or toks[first].key in idx.role_modifiers):
            first += 1  # مشیر اعلیٰ X, کمانڈر جنرل X
        j = first
        while j < len(toks) and toks[j].sent == toks[after - 1].sent and _may_continue_name(toks[j], idx) and \
                j not in taken and j - first < 4:
            j += 1
        if j > first and any(toks[i].upos == "PROPN" for i in range(first, j)) and \
                not any(i in roles_at for i in range(first, j)) and \
                not (j < len(toks) and j in taken and toks[j].sent == toks[first].sent):  # محمد | نوازشریف: the
            role_spans.append((first, j, ctx_at))                                         # start of a known name
            taken |= set(range(first, j))
    # names told by "نامی" ('named') before a word for a person: "X اور Y نامی نوجوانوں", "X نامی شخص"
    named_at: set[int] = set()  # "X نامی شخص": someone introduced as named X, never a listed person of that name
    for s_i, e_i in _named_person_spans(toks, idx, taken):
        role_spans.append((s_i, e_i, s_i))
        named_at.add(s_i)
        taken |= set(range(s_i, e_i))

    for s_i, e_i, ctx_at in role_spans:
        s, e = toks[s_i].start, toks[e_i - 1].end
        ner_ids = {ner_tok[i] for i in range(s_i, e_i) if i in ner_tok}
        absorbed |= ner_ids
        ner = ner_mentions[min(ner_ids)] if ner_ids else None
        surface = text[s:e]
        ctx = _context_before(ctx_at, toks, roles_at, places_at, idx)
        if ctx.role and not ctx.country:
            ctx.country = _local_office_country(ctx_at, toks, roles_at, places_at, idx)
        known = () if s_i in named_at else idx.person_names.get(tuple(t.key for t in toks[s_i:e_i]), ())
        if len(known) == 1:  # a listed person's name that its context alone did not let link (نومنتخب صدر ٹرمپ)
            actor = dictionary.actors[next(iter(known))]
            mentions.append(_mention(aid, toks[s_i].sent, s, e, text, "PERSON", actor.entity_id, 0.7,
                                     ner.get("model_label") if ner else None, "ner+dictionary" if ner else
                                     "dictionary", "dictionary", _mention_code(actor, ctx, when, idx)))
            entities.setdefault(actor.entity_id, entity_row(dictionary, actor))
            continue
        pid = provisional_id(surface, dictionary)
        code = _context_code(ctx, dictionary)
        mentions.append(_mention(aid, toks[s_i].sent, s, e, text, "PERSON", pid, 0.6,
                                 ner.get("model_label") if ner else None,
                                 "ner+dictionary" if ner else "dictionary", "provisional", code))
        entities.setdefault(pid, _provisional_row(pid, surface, "PERSON", code, idx))

    # unnamed groups with a country (افغان پولیس -> AFGCOP): after the dictionary's names, never overlapping
    # them, and before NER-only spans, which would otherwise make "اسرائیلی فوج" an unknown organisation
    agent_mentions, agent_entities = find_agents(text, tokens, mentions, entities, article, dictionary=dictionary)
    for row in agent_entities:
        entities.setdefault(row["entity_id"], row)
    for m in agent_mentions:
        m.setdefault("actor_code", entities[m["entity_id"]]["actor_code"])
    mentions.extend(agent_mentions)
    agent_spans = [(m["start_char"], m["end_char"]) for m in agent_mentions]

    for n, m in enumerate(ner_mentions):
        if n in absorbed or any(s < m["end_char"] and m["start_char"] < e for s, e in agent_spans):
            continue
        label = m.get("ner_label")
        conf = m.get("confidence")
        name = _name_part(text, m["start_char"], m["end_char"], idx) if label in PROVISIONAL_LABELS else None
        if name:
            s, e = name
            surface = text[s:e]
            pid = provisional_id(surface, dictionary)
            mentions.append(_mention(aid, m.get("sentence_index"), s, e, text, label,
                                     pid, round(0.5 * (conf if conf is not None else 1.0), 3),
                                     m.get("model_label"), "ner", "provisional"))
            entities.setdefault(pid, _provisional_row(pid, surface, label, idx=idx))
        else:
            mentions.append(_mention(aid, m.get("sentence_index"), m["start_char"], m["end_char"], text, label,
                                     None, conf, m.get("model_label"), "ner", "none"))
    _merge_partial_provisional_names(mentions, entities, idx)

    mentions.sort(key=lambda r: (r["start_char"], r["end_char"]))
    return LinkOutput(mentions=mentions, entities=list(entities.values()))


def _merge_partial_provisional_names(mentions: list[dict], entities: dict[str, dict], idx: _Index) -> None:
    """One unknown person, one entity: in an article, a provisional person name that is part of a longer one
    (یوسف after فیصل یوسف, the honorific-free ڈاکٹر X) is the same person, linked as coreference."""
    people = [m for m in mentions if m["link_method"] == "provisional" and m["ner_label"] == "PERSON"]
    parts = {m["mention_id"]: [idx.folder.fold(p) for p in _key(m["text"]).split() if p not in idx.honorifics]
             for m in people}
    for m in people:
        mine = parts[m["mention_id"]]
        longer = [o for o in people if len(parts[o["mention_id"]]) > len(mine) and _contains(parts[o["mention_id"]], mine)]
        if not mine or not longer:
            continue
        full = max(longer, key=lambda o: len(parts[o["mention_id"]]))
        if full["entity_id"] != m["entity_id"]:
            old = m["entity_id"]
            m["entity_id"], m["link_method"] = full["entity_id"], "coreference"
            m["actor_code"] = m.get("actor_code") or full.get("actor_code")
            if not any(x["entity_id"] == old for x in mentions):
                entities.pop(old, None)


def _everyday_reading(c: _Cand, toks: list[_Tok], idx: _Index) -> bool:
    """Is this one-word name match the everyday word it is spelt like (name_context.yaml everyday_readings:
    شام 'evening' after a day or before a clock time, مالی 'financial' before a noun)?"""
    if c.end - c.start != 1 or c.pattern.kind not in ("alias", "short"):
        return False
    rule = idx.everyday_readings.get(toks[c.start].key)
    if rule is None:
        return False
    sent = toks[c.start].sent
    nxt = toks[c.end] if c.end < len(toks) and toks[c.end].sent == sent else None
    if rule.get("only_before") is not None:
        return nxt is None or nxt.key not in rule["only_before"]
    if nxt is not None and (nxt.key in rule.get("before", ()) or (rule.get("before_number") and
                                                                  (_has_digit(nxt.key) or nxt.upos == "NUM"))):
        return True
    j = c.start - 1
    while j >= 0 and toks[j].sent == sent and toks[j].key in rule.get("skip", ()):
        j -= 1
    return j >= 0 and toks[j].sent == sent and toks[j].key in rule.get("after", ())


def _everyday_english_name(actor: Actor) -> str:
    """The shortest English name that is no acronym ("Hong Kong", not "Hong Kong SAR China"; "America")."""
    names = [n for n in (actor.name, *actor.aliases.get("en", ())) if not n.isupper()] or [actor.name]
    return min(names, key=len)


def _english_word_at(i: int, toks: list[_Tok], words: dict[tuple[str, ...], str]) -> tuple[int, str] | None:
    """(tokens used, English) of a transliterated English word at token i (two-token keys first)."""
    for n in (2, 1):
        key = tuple(t.key for t in toks[i:i + n])
        if len(key) == n and all(t.sent == toks[i].sent for t in toks[i:i + n]) and key in words:
            return n, words[key]
    return None


def _english_org_spans(toks: list[_Tok], idx: _Index, chosen: list[tuple[_Cand, float, str]],
                       d: ActorDictionary, most: int = 4) -> list[tuple[int, int, str]]:
    """Spans "X آف Y" written from English ("نیشنل بینک آف پاکستان", "ہانگ کانگ فیڈریشن آف سٹوڈنٹس") whose word
    before آف is an institution's head (romanization.yaml english_heads) and whose every word is a transliterated
    English word or part of a dictionary match, with their English names; none a dictionary alias covers whole."""
    rules = romanize_rules()
    of_key = next((k for k, v in rules.english_words.items() if v == "of"), None)
    if not of_key:
        return []
    exact = {}  # token -> (start, end, English name) of a chosen exact dictionary match
    for c, _, _ in chosen:
        if c.exact and c.pattern.entity_id:
            for i in range(c.start, c.end):
                exact[i] = (c.start, c.end, _everyday_english_name(d.actors[c.pattern.entity_id]))
    spans: list[tuple[int, int, str]] = []
    for t in toks:
        if (t.key,) != of_key or t.i == 0 or t.i + 1 >= len(toks):
            continue
        left: list[tuple[int, str]] = []  # (start token, English) going left
        j = t.i
        while len(left) < most and j > 0 and toks[j - 1].sent == t.sent:
            hit = next(((j - n, w) for n, w in [(2, _english_word_at(j - 2, toks, rules.english_words)),
                                                 (1, _english_word_at(j - 1, toks, rules.english_words))]
                        if j - n >= 0 and w and w[0] == n), None)
            if hit:
                left.append((hit[0], hit[1][1]))
                j = hit[0]
            elif j - 1 in exact and exact[j - 1][1] == j:
                a, _, name = exact[j - 1]
                left.append((a, name))
                j = a
            else:
                break
        if not left or left[0][1] not in rules.english_heads:
            continue
        right: list[tuple[int, str]] = []
        k = t.i + 1
        while len(right) < most and k < len(toks) and toks[k].sent == t.sent:
            w = _english_word_at(k, toks, rules.english_words)
            if w and w[1] != "of":
                right.append((k + w[0], w[1]))
                k += w[0]
            elif k in exact and exact[k][0] == k:
                right.append((exact[k][1], exact[k][2]))
                k = exact[k][1]
            else:
                break
        if not right:
            continue
        start, end = left[-1][0], right[-1][0]
        if any(c.exact and c.start <= start and end <= c.end and c.end - c.start > end - start for c, _, _ in chosen):
            continue
        if any(c.exact and c.start == start and c.end == end for c, _, _ in chosen):
            continue  # the dictionary knows the whole name
        english = " ".join([w for _, w in reversed(left)] + ["of"] + [w for _, w in right])
        spans.append((start, end, english))
    return spans


def _may_continue_name(t: _Tok, idx: _Index) -> bool:
    """Can this word be part of a name found by its title? Not a postposition, number, verb, everyday word
    unless tagged a proper noun (a name found this way ends where the sentence goes on: "X گزشتہ برس", "X مارے
    گئے"; جان in جان ایگیلینڈ stays), title or honorific (X شہید)."""
    k = t.key
    return bool(k) and k not in idx.function_words and not _has_digit(k) and \
        (k not in idx.frequent or t.upos == "PROPN") and t.upos not in _NEVER_NAME_TAGS and \
        k not in idx.never_in_names and k not in idx.honorifics and k not in idx.role_modifiers


def _has_digit(key: str) -> bool:
    return any(ch.isdigit() for ch in key)


def _after_parenthesis(i: int, toks: list[_Tok], text: str) -> int:
    """The first token after a short parenthesis that starts right at token ``i`` (a title's department:
    "ایڈیشنل سیکرٹری (یورپ) ندیم ریاض"), else ``i``."""
    if i >= len(toks) or i == 0:
        return i
    m = _PARENTHESIS.match(text, toks[i - 1].end)
    if not m:
        return i
    j = i
    while j < len(toks) and toks[j].end <= m.end():
        j += 1
    return j


def _named_person_spans(toks: list[_Tok], idx: _Index, taken: set[int]) -> list[tuple[int, int]]:
    """Names right before "نامی" ('named') when a word for a person follows it within a few words ("X نامی شخص",
    "X نامی 23 سالہ خاتون"); a name joined to it by "اور" is a second one ("X اور Y نامی نوجوانوں").

    The words before نامی are the name whatever they mean elsewhere (منظور ملک: 'approved' 'country'); the
    joined one must look like a name (a proper-noun tag, no everyday word), as nothing else marks it."""
    spans: list[tuple[int, int]] = []
    for t in toks:
        if t.key not in idx.named_markers or not _person_noun_follows(t.i, toks, idx):
            continue
        start = _name_start(t.i, toks, idx, taken, strict=False)
        if start is None:
            continue
        spans.append((start, t.i))
        j = start - 1
        if j > 0 and toks[j].sent == t.sent and toks[j].key in idx.coordinators:
            first = _name_start(j, toks, idx, taken, strict=True)
            if first is not None:
                spans.append((first, j))
    return spans


def _person_noun_follows(i: int, toks: list[_Tok], idx: _Index, window: int = 4) -> bool:
    for t in toks[i + 1:i + 1 + window]:
        if t.sent != toks[i].sent or t.key in idx.function_words:
            return False
        if t.key in idx.person_nouns:
            return True
    return False


def _name_start(end: int, toks: list[_Tok], idx: _Index, taken: set[int], strict: bool,
                most: int = 4) -> int | None:
    """Start of the name that ends right before token ``end`` (back to a postposition, number, punctuation or
    a name the dictionary already took), or None. ``strict``: every word name-like and one a proper noun."""
    j = end
    while j > 0 and end - j < most:
        t = toks[j - 1]
        if t.sent != toks[end].sent or not t.key or t.key in idx.function_words or _has_digit(t.key) or \
                t.key in idx.never_in_names or t.i in taken or t.upos in ("ADP", "PUNCT", "VERB", "AUX", "SCONJ", "CCONJ", "PRON", "NUM"):
            break
        if strict and (t.key in idx.frequent or t.key in idx.common_words):
            break
        j -= 1
    if j == end or (strict and not any(toks[i].upos == "PROPN" for i in range(j, end))):
        return None
    if j > 0 and toks[j - 1].sent == toks[end].sent and toks[j - 1].key and \
            toks[j - 1].key not in idx.function_words and toks[j - 1].upos not in ("PUNCT", "CCONJ") and \
            not _has_digit(toks[j - 1].key) and (j - 1) not in taken and end - j >= most:
        return None  # the name runs on further back than a name can: not a name after all
    return j


def _contains(seq: list[str], sub: list[str]) -> bool:
    return any(seq[i:i + len(sub)] == sub for i in range(len(seq) - len(sub) + 1))


def _name_part(text: str, start: int, end: int, idx: _Index) -> tuple[int, int] | None:
    """The name inside an NER span: from its first name-like word up to the next word that cannot be part of a
    name (a number, a postposition, an everyday word: "ٹرمپ 20 جنوری" -> ٹرمپ), or None if nothing is left."""
    words = [(m.start() + start, m.end() + start) for m in _WORD.finditer(text[start:end])]
    keep: list[tuple[int, int]] = []
    for s, e in words:
        k = _key(text[s:e].strip("’‘“”\"'()[]{}،,.:؛;"))
        namelike = bool(k) and not any(ch.isdigit() for ch in k) and k not in idx.function_words and \
            k not in idx.common_words and k not in idx.frequent
        if namelike:
            keep.append((s, e))
        elif keep:
            break
    if not keep:
        return None
    s, e = strip_punct_span(text, keep[0][0], keep[-1][1])
    return (s, e) if e > s else None


_WORD = re.compile(r"\S+")
_PLACE_TYPES = frozenset({"COUNTRY", "CITY", "LOCATION"})
_NEVER_NAME_TAGS = frozenset({"VERB", "AUX", "ADP", "SCONJ", "CCONJ", "PRON", "NUM", "PUNCT"})
_PARENTHESIS = re.compile(r"\s*[(\[][^()\[\]\n]{1,40}[)\]]")
_DIGITS_GLUED = re.compile(r"^(\d+)(\D{2,})$")


def _mention(aid: str, sent: int | None, s: int, e: int, text: str, label: str | None, eid: str | None,
             conf: float | None, model_label: str | None, found_by: str, method: str,
             actor_code: str | None = None) -> dict:
    return {"mention_id": stable_id("m", aid, s, e), "article_id": aid, "sentence_index": sent,
            "start_char": s, "end_char": e, "text": text[s:e], "ner_label": label, "entity_id": eid,
            "confidence": conf, "model_label": model_label, "found_by": found_by, "link_method": method,
            "actor_code": actor_code}


def _provisional_row(pid: str, surface: str, label: str | None, actor_code: str | None = None,
                     idx: _Index | None = None) -> dict:
    """An unknown name's entity row; a person's aliases also hold its English forms (tasks.romanize)."""
    aliases = [surface]
    if label == "PERSON" and idx is not None:
        parts = _key(surface).split()
        while len(parts) > 1 and parts[0] in idx.honorifics:
            parts = parts[1:]
        aliases += romanize(parts)
    return {"entity_id": pid, "canonical_name": surface, "entity_type": label, "wikidata_id": None,
            "country_code": actor_code[:3] if actor_code else None, "actor_code": actor_code,
            "aliases": aliases, "is_provisional": True}


def dateline_source(article: dict, dictionary: ActorDictionary) -> str | None:
    """The organisation a dateline credits ("کابل ۔ 10 اگست (اے پی پی)" -> Associated Press of Pakistan), or None.

    The dateline is cut from the article text, so this is not a mention; it is the article's credited source
    (articles.source_entity_id). Exact alias matches only: a dateline is short and formulaic."""
    idx = _index(dictionary, article.get("dateline") or "")
    words = [_key(w.strip("()[]{}:؛،۔-–—.,")) for w in (article.get("dateline") or "").split()]
    words = [part for w in words if w for part in w.split(" ")]
    # where each word ends in the words written with a space before, between and after them: a match is ranked by
    # its length and end in that string, as when the automaton's letters were the letters
    ends = list(itertools.accumulate(len(w) + 1 for w in words))
    found = []
    for i, n in ((i, n) for i, w in enumerate(words) for n in range(1, min(idx.longest.get(w, 0), len(words) - i) + 1)):
        pids = idx.by_words.get(tuple(words[i:i + n]), ())
        end = i + n - 1
        length = ends[end] - (ends[i - 1] if i else 0) + 1
        for pid in pids:
            p = idx.patterns[pid]
            if p.kind == "alias" and dictionary.actors[p.entity_id].type == "ORGANIZATION":
                found.append((length, ends[end], p.entity_id))
    return max(found)[2] if found else None


def link_articles(items: Sequence[tuple[dict, list[dict], list[dict], list[dict]]],
                  dictionary: ActorDictionary) -> LinkOutput:
    """Link several articles; provisional entities with the same name come out once."""
    mentions, entities = [], {}
    for article, sents, toks, ner in items:
        out = link_article(article, sents, toks, ner, dictionary)
        mentions.extend(out.mentions)
        for row in out.entities:
            entities.setdefault(row["entity_id"], row)
    return LinkOutput(mentions, list(entities.values()))
