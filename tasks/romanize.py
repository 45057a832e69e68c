"""English names for Urdu names the dictionary lacks: every part looked up in how the dictionary's own people
write it (khabar/lang/ur/name_romanization.tsv, learnt by tools/derive_name_romanization.py) and in the
hand-written rows of khabar/lang/ur/romanization.yaml.

Why: a provisional person (ندیم ریاض after "ایڈیشنل سیکرٹری") is otherwise findable only in Urdu; an analyst's
English search, a gold set or a merge with an English source needs "Nadeem Riaz". Only whole names are
romanised: one unknown part and the name gets no English form (a guessed letter-by-letter spelling would be
wrong more often than right).
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from tasks.normalize import normalize_for_match
from tasks.yamlload import load_yaml

UR_DIR = Path(__file__).resolve().parent.parent / "khabar" / "lang" / "ur"
MAX_SPELLINGS = 8  # English forms kept per name: the usual one first, then the common variants
_ARTICLE = re.compile(r"^-?([a-z]{1,3})-(.+)$")  # "-ur-Rehman": the Arabic article joined to the next part


@dataclass(frozen=True)
class RomanizationRules:
    initials: dict[str, frozenset[str]]
    parts: dict[str, tuple[str, ...]]   # Urdu part (matching form) -> English spellings, usual first
    english_words: dict[tuple[str, ...], str] = field(default_factory=dict)  # "ایسوسی ایشن" -> Association
    english_heads: frozenset[str] = frozenset()  # Bank, University …: "X آف Y" is an organisation

    def initial_fits(self, part: str, spelling: str) -> bool:
        """Does the English spelling start with a letter the Urdu part's first letter can be written as?
        An Arabic article (الرحمن / -ur-Rehman) is compared after the article."""
        if part.startswith("ال") and len(part) > 2:  # an article, unless the name merely starts so (الطاف)
            m = _ARTICLE.match(spelling.lower())
            if self._first_letter_fits(part[2:], m.group(2) if m else spelling):
                return True
        return self._first_letter_fits(part, spelling)

    def _first_letter_fits(self, part: str, spelling: str) -> bool:
        allowed = self.initials.get(part[:1])
        return bool(spelling) and (allowed is None or spelling[0].lower() in allowed)


def load_romanization_rules(folder: Path = UR_DIR) -> RomanizationRules:
    spec = load_yaml(folder / "romanization.yaml") or {}
    initials: dict[str, frozenset[str]] = {}
    for letter, latin in (spec.get("initials") or {}).items():  # آ and ا fold to one letter: both lists hold
        key = normalize_for_match(letter)
        initials[key] = initials.get(key, frozenset()) | frozenset(latin)
    parts: dict[str, tuple[str, ...]] = {}
    table = folder / "name_romanization.tsv"
    if table.exists():
        for line in table.read_text(encoding="utf-8").splitlines():
            if line.startswith("#") or "\t" not in line:
                continue
            ur, spellings = line.split("\t")[:2]
            parts[ur] = tuple(s.strip() for s in spellings.split(",") if s.strip())
    for ur, spellings in (spec.get("names") or {}).items():
        key = normalize_for_match(ur)
        extra = [spellings] if isinstance(spellings, str) else list(spellings)
        parts[key] = tuple(dict.fromkeys([*extra, *parts.get(key, ())]))
    words = {tuple(normalize_for_match(k).split()): v for k, v in (spec.get("english_words") or {}).items()}
    return RomanizationRules(initials, parts, words, frozenset(spec.get("english_heads") or ()))


@lru_cache(maxsize=1)
def rules() -> RomanizationRules:
    """The shipped rules (cached)."""
    return _rules()


@lru_cache(maxsize=1)
def _rules() -> RomanizationRules:
    return load_romanization_rules()


def _join(spellings: tuple[str, ...]) -> str:
    out = ""
    for s in spellings:
        if s.startswith("-"):
            out = out + s if out else _ARTICLE.match(s).group(2)  # type: ignore[union-attr]
        else:
            out = f"{out} {s}" if out else s
    return out


def romanize(parts: list[str], rules: RomanizationRules | None = None) -> list[str]:
    """English forms of a name given as Urdu parts in matching form, usual spelling first; [] when any part is
    unknown. ["عتیق", "الرحمن"] -> ["Atiq-ur-Rehman", "Atiq Rehman", …]."""
    rules = rules or _rules()
    options = [rules.parts.get(p) for p in parts]
    if not parts or not all(options):
        return []
    forms = (_join(combo) for combo in itertools.product(*options))  # type: ignore[arg-type]
    return list(dict.fromkeys(itertools.islice(forms, MAX_SPELLINGS)))
