"""Joined words: read a token that Urdu web text wrote without its spaces (کیخلاف, نوازشریف) as the words it is.

The rules are data (khabar/lang/<lang>/joined_words.yaml). ``split_token`` returns the pieces of one token with
their offsets inside the token, so callers keep the original text and offsets and only change what they match.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path


from tasks.normalize import normalize_for_match
from tasks.yamlload import load_yaml

LANG_DIR = Path(__file__).resolve().parent.parent / "khabar" / "lang"


class JoinedWordsError(ValueError):
    """joined_words.yaml breaks its schema; the message names the entry."""


@lru_cache(maxsize=8)
def load_non_joining(lang: str = "ur", lang_dir: Path = LANG_DIR) -> frozenset[str]:
    """Letters after which a dropped space is invisible (joined_words.yaml non_joining)."""
    path = lang_dir / lang / "joined_words.yaml"
    data = load_yaml(path) if path.exists() else {}
    return frozenset(normalize_for_match(c) for c in (data or {}).get("non_joining") or [])


@lru_cache(maxsize=8)
def load_before_names(lang: str = "ur", lang_dir: Path = LANG_DIR) -> frozenset[str]:
    """Words often written joined to the name after them (joined_words.yaml before_names): نےٹرمپ."""
    path = lang_dir / lang / "joined_words.yaml"
    data = load_yaml(path) if path.exists() else {}
    return frozenset(normalize_for_match(w) for w in (data or {}).get("before_names") or [])


def cut_points(key: str, non_joining: frozenset[str]) -> list[int]:
    """Offsets inside a word where a space may have been dropped: right after a non-joining letter."""
    return [i + 1 for i, ch in enumerate(key[:-1]) if ch in non_joining and i >= 1]


@lru_cache(maxsize=8)
def load_fused(lang: str = "ur", lang_dir: Path = LANG_DIR) -> dict[str, tuple[str, ...]]:
    """surface (matching form) -> the words it stands for; validated (same letters count once spaces go)."""
    path = lang_dir / lang / "joined_words.yaml"
    if not path.exists():
        return {}
    data = load_yaml(path) or {}
    out: dict[str, tuple[str, ...]] = {}
    for surface, reads in (data.get("fused") or {}).items():
        key, words = normalize_for_match(str(surface)), tuple(normalize_for_match(str(reads)).split())
        if len(words) < 2 or len("".join(words)) != len(key):
            raise JoinedWordsError(f"{path}: {surface!r} -> {reads!r}: needs two or more words with as many "
                                   "letters as the joined form")
        out[key] = words
    return out


def split_token(key: str, fused: dict[str, tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """Pieces of a token in matching form: (start, end, word) with offsets into ``key``; one piece if not fused."""
    words = fused.get(key)
    if not words:
        return [(0, len(key), key)]
    out, pos = [], 0
    for w in words:
        out.append((pos, pos + len(w), w))
        pos += len(w)
    return out
