"""Language identification of a raw text: py3langid's model (shipped in its wheel, nothing downloaded) plus the
rules in khabar/lang/langid.yaml for what it does not know (Shahmukhi Punjabi, Arabic dialect labels).

Run on the text as it arrives, before cleaning: cleaning folds Arabic letters into Urdu ones (ه → ہ, ي → ی) for
Urdu only, and folded Persian reads as Urdu. Accuracy per language: docs/nlp.md (bench/language_id.py).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from tasks.yamlload import load_yaml

LANGID_FILE = Path(__file__).resolve().parent.parent / "khabar" / "lang" / "langid.yaml"
MAX_CHARS = 5000  # the model's answer settles well before this; longer texts only cost time
_WORD = re.compile(r"\w+")


@dataclass(frozen=True)
class LangidRules:
    same_language: dict[str, str]
    punjabi_label: str
    punjabi_words: frozenset[str]
    urdu_words: frozenset[str]
    min_punjabi_words: int
    over_urdu_words: float


@lru_cache(maxsize=2)
def load_rules(path: Path = LANGID_FILE) -> LangidRules:
    """The rules file, checked: raises ValueError naming the file and what is wrong."""
    data = load_yaml(Path(path))
    try:
        pnb = data["shahmukhi_punjabi"]
        rules = LangidRules(
            same_language={str(k): str(v) for k, v in (data.get("same_language") or {}).items()},
            punjabi_label=str(pnb["label"]),
            punjabi_words=frozenset(map(str, pnb["punjabi_words"])),
            urdu_words=frozenset(map(str, pnb["urdu_words"])),
            min_punjabi_words=int(pnb["min_punjabi_words"]),
            over_urdu_words=float(pnb["over_urdu_words"]),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: shahmukhi_punjabi needs label, punjabi_words, urdu_words, min_punjabi_words "
                         f"and over_urdu_words ({type(exc).__name__}: {exc})") from exc
    if both := rules.punjabi_words & rules.urdu_words:
        raise ValueError(f"{path}: words listed as both Punjabi and Urdu: {sorted(both)}")
    return rules


@lru_cache(maxsize=1)
def _identifier():
    """A py3langid identifier of our own (its module-level one is shared and may be restricted by others)."""
    from importlib.metadata import version

    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    from khabar.cache import cached

    # py3langid ships its model xz-compressed: unpacking it costs ~0.45 s a process, unpickling it ~0.07 s
    return cached(f"langid-py3langid-{version('py3langid')}.pickle",
                  lambda: LanguageIdentifier.from_model_file(MODEL_FILE), stale_glob="langid-*")


def is_shahmukhi_punjabi(text: str, rules: LangidRules | None = None) -> bool:
    """Punjabi-only grammar words outnumber Urdu-only ones (the rule and its numbers: khabar/lang/langid.yaml)."""
    rules = rules or load_rules()
    words = _WORD.findall(text)
    punjabi = sum(w in rules.punjabi_words for w in words)
    urdu = sum(w in rules.urdu_words for w in words)
    return punjabi >= rules.min_punjabi_words and punjabi > rules.over_urdu_words * urdu


def identify_language(text: str | None) -> str | None:
    """ISO 639 code of ``text`` ('ur', 'fa', 'ar', 'pnb', 'hi', 'en', …), or None when it has under 3 letters.

    Give it the text as written (not Urdu-normalised): ه/ي/ك are what tell Persian and Arabic from Urdu.
    """
    if not text:
        return None
    sample = text[:MAX_CHARS]
    if sum(c.isalpha() for c in sample[:200]) < 3 and sum(c.isalpha() for c in sample) < 3:
        return None
    rules = load_rules()
    label = _identifier().classify(sample)[0]
    label = rules.same_language.get(label, label)
    if label == "ur" and is_shahmukhi_punjabi(sample, rules):
        return rules.punjabi_label
    return label
