"""Clean: turn a document's raw text into ``articles.text`` and pull metadata out of the body.

Per line (paragraph): ``normalize_text``; drop page furniture (rules are data in
khabar/lang/{common,<lang>}/furniture.yaml, see the schema in the common file); take a
"source: https://…" line into ``source_url``. Then the headline (given, or the first line when it
looks like one) goes first, and a dateline at the start of one of the first body paragraphs
("واشنگٹن: …", "اسلام آباد ( اے پی پی ) …", "ممبئی ۔ یکم دسمبر (اے پی پی) …", "ماسکو۔ …") is CUT
from the text into ``dateline``: it names the reporting desk, not where the event happened, and
would otherwise be parsed as the subject of the first sentence (``raw_text`` still has it). Its date
is the article's reference date when there is no publication date (tasks.dates.reference).
The raw text is never modified. Dateline patterns are data and run in linear time (possessive
quantifiers; see the furniture file).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any

from khabar.config import LANG_DIR
from tasks.normalize import normalize_for_match, normalize_text
from tasks.yamlload import load_yaml

FURNITURE_FILE = "furniture.yaml"
COMMON = "common"
KINDS = ("read_more", "most_read", "comment_count", "comment_prompt", "like_counter", "image_file", "social",
         "cms_label", "url", "advert", "separator")
_LINE_BREAK = re.compile(r"\r\n|[\n\r\u2028\u2029\x0b\x0c\x85]")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


@dataclass(frozen=True)
class CleanResult:
    text: str  # headline first, then paragraphs, joined by "\n\n"; normalize_text applied; furniture removed
    title: str | None
    source_url: str | None
    dateline: str | None
    removed_lines: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Rule:
    id: str
    kind: str
    regex: re.Pattern[str]
    glued: bool


@dataclass(frozen=True)
class Furniture:
    """Compiled rules for one language (common rules included)."""

    rules: tuple[Rule, ...]
    source_line: re.Pattern[str] | None
    datelines: tuple[re.Pattern[str], ...]
    loose_datelines: tuple[re.Pattern[str], ...]  # tried on the first body paragraph only
    dateline_max_paragraphs: int
    headline_max_chars: int
    headline_max_words: int
    sentence_end: tuple[str, ...]


class FurnitureSchemaError(ValueError):
    """A furniture.yaml file does not follow the schema; the message names the file and the field."""


# ---------------------------------------------------------------- loading the data

def furniture_files() -> dict[str, Path]:
    """Every furniture file by language code ('common' included)."""
    return {p.parent.name: p for p in sorted(LANG_DIR.glob(f"*/{FURNITURE_FILE}"))}


def _alternation(words: list[str]) -> str:
    # longest first, so a glued prefix takes "کھیلوں" rather than "کھیل"
    return "(?:" + "|".join(re.escape(normalize_text(w)) for w in sorted(words, key=len, reverse=True)) + ")"


def _expand(pattern: str, words: dict[str, list[str]], where: str) -> str:
    def sub(m: re.Match[str]) -> str:
        if m.group(1) not in words:
            raise FurnitureSchemaError(f"{where}: unknown word list {{{m.group(1)}}}")
        return _alternation(words[m.group(1)])

    return _PLACEHOLDER.sub(sub, pattern)


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as e:
        raise FurnitureSchemaError(f"{where}: bad regex: {e}") from None


def validate_furniture(data: Any, name: str) -> None:
    """Check one parsed furniture.yaml against the schema; raise FurnitureSchemaError naming the problem."""
    def need(cond: bool, msg: str) -> None:
        if not cond:
            raise FurnitureSchemaError(f"{name}: {msg}")

    need(isinstance(data, dict), "top level must be a mapping")
    need(data.get("version") == 1, "version must be 1")
    unknown = set(data) - {"version", "words", "rules", "source_labels", "headline", "dateline"}
    need(not unknown, f"unknown keys {sorted(unknown)}")
    words = data.get("words", {}) or {}
    need(isinstance(words, dict), "words must be a mapping of name -> list of strings")
    for k, v in words.items():
        need(isinstance(v, list) and v and all(isinstance(w, str) and w.strip() for w in v),
             f"words.{k} must be a non-empty list of non-empty strings")
    labels = data.get("source_labels", [])
    need(isinstance(labels, list) and all(isinstance(w, str) for w in labels), "source_labels must be a list of strings")
    ids: set[str] = set()
    for i, rule in enumerate(data.get("rules", []) or []):
        where = f"rules[{i}]"
        need(isinstance(rule, dict), f"{where} must be a mapping")
        extra = set(rule) - {"id", "kind", "pattern", "glued", "examples", "non_examples"}
        need(not extra, f"{where}: unknown keys {sorted(extra)}")
        need(isinstance(rule.get("id"), str) and rule["id"] not in ids, f"{where}: id missing or duplicated")
        ids.add(rule["id"])
        need(rule.get("kind") in KINDS, f"{where} ({rule['id']}): kind must be one of {KINDS}")
        need(isinstance(rule.get("pattern"), str) and rule["pattern"], f"{where}: pattern missing")
        need(isinstance(rule.get("glued", False), bool), f"{where}: glued must be true or false")
        need(isinstance(rule.get("examples"), list) and rule["examples"], f"{where}: at least one example needed")
        need(isinstance(rule.get("non_examples"), list) and rule["non_examples"],
             f"{where}: at least one non_example needed (a real sentence that must survive)")
        _compile(_expand(rule["pattern"], words, f"{name} {where}"), f"{name} {where}")
    if "headline" in data:
        h = data["headline"]
        need(isinstance(h, dict) and {"max_chars", "max_words", "sentence_end"} <= set(h), "headline needs "
             "max_chars, max_words, sentence_end")
    if "dateline" in data:
        d = data["dateline"]
        need(isinstance(d, dict) and isinstance(d.get("patterns"), list) and d["patterns"],
             "dateline.patterns must be a non-empty list")
        extra = set(d) - {"max_paragraphs", "parts", "patterns", "loose_patterns", "examples", "non_examples"}
        need(not extra, f"dateline: unknown keys {sorted(extra)}")
        need(isinstance(d.get("max_paragraphs", 3), int), "dateline.max_paragraphs must be an integer")
        parts = d.get("parts", {}) or {}
        need(isinstance(parts, dict) and all(isinstance(v, str) and v for v in parts.values()),
             "dateline.parts must be a mapping of name -> pattern")
        need(not set(parts) & set(words), f"dateline.parts and words share names {sorted(set(parts) & set(words))}")
        need(isinstance(d.get("loose_patterns", []), list), "dateline.loose_patterns must be a list")
        for key in ("patterns", "loose_patterns"):
            for j, p in enumerate(d.get(key, []) or []):
                need(isinstance(p, str) and "(?P<dateline>" in p,
                     f"dateline.{key}[{j}] needs a (?P<dateline>…) group")
                _compile(_expand(_expand_parts(p, parts, words, name), words, f"{name} dateline.{key}[{j}]"),
                         f"{name} dateline.{key}[{j}]")


def _expand_parts(pattern: str, parts: dict[str, str], words: dict[str, list[str]], where: str) -> str:
    """Replace {part} with the dateline sub-pattern of that name; a part may use earlier parts (in file order)."""
    done: dict[str, str] = {}
    for key, sub in parts.items():
        for prev, val in done.items():
            sub = sub.replace("{" + prev + "}", val)
        done[key] = sub
    for key, val in done.items():
        pattern = pattern.replace("{" + key + "}", val)
    return pattern


@lru_cache(maxsize=None)
def load_raw(lang: str) -> dict[str, Any]:
    path = furniture_files()[lang]
    data = load_yaml(path)
    validate_furniture(data, str(path))
    return data


def _languages_for(language: str | None) -> list[str]:
    """Common rules plus the language's; unknown language (None): every language's (their scripts differ)."""
    available = [k for k in furniture_files() if k != COMMON]
    if language is None:
        return [COMMON, *available]
    base = language.lower().replace("_", "-").split("-")[0]
    return [COMMON, *([base] if base in available else [])]


@lru_cache(maxsize=None)
def load_furniture(language: str | None) -> Furniture:
    parts = [load_raw(lang) for lang in _languages_for(language)]
    rules: list[Rule] = []
    labels: list[str] = []
    datelines: list[re.Pattern[str]] = []
    loose: list[re.Pattern[str]] = []
    max_par = 0
    headline = parts[0].get("headline", {})
    for data in parts:
        words = data.get("words", {}) or {}
        for r in data.get("rules", []) or []:
            rules.append(Rule(r["id"], r["kind"], _compile(_expand(r["pattern"], words, r["id"]), r["id"]),
                              bool(r.get("glued", False))))
        labels += data.get("source_labels", [])
        if d := data.get("dateline"):
            parts = d.get("parts", {}) or {}
            for key, out in (("patterns", datelines), ("loose_patterns", loose)):
                for p in d.get(key, []) or []:  # {part}s are sub-patterns, the rest word lists
                    out.append(_compile(_expand(_expand_parts(p, parts, words, key), words, key), f"dateline.{key}"))
            max_par = max(max_par, int(d.get("max_paragraphs", 3)))
    source_line = None
    if labels:
        source_line = _compile(_alternation(labels) + r"\s*[:：\-–]\s*(?P<url>(?:https?://|www\.)\S+)", "source_labels")
    return Furniture(tuple(rules), source_line, tuple(datelines), tuple(loose), max_par,
                     int(headline.get("max_chars", 160)), int(headline.get("max_words", 28)),
                     tuple(headline.get("sentence_end", [".", "۔"])))


# ---------------------------------------------------------------- cleaning

def match_furniture(line: str, furniture: Furniture) -> tuple[str, str] | None:
    """(removed part, rest of line) if ``line`` is, or starts with glued, furniture; None otherwise.

    ``line`` must already be normalize_text()-ed and stripped.
    """
    for rule in furniture.rules:
        if rule.regex.fullmatch(line):
            return line, ""
    for rule in furniture.rules:
        if rule.glued and (m := rule.regex.match(line)) and m.end() > 0:
            return line[: m.end()].strip(), line[m.end():].strip()
    return None


def _is_headline(line: str, f: Furniture) -> bool:
    return (len(line) <= f.headline_max_chars and len(line.split()) <= f.headline_max_words
            and not line.endswith(f.sentence_end))


def split_dateline(paragraph: str, furniture: Furniture, *, first: bool = True) -> tuple[str, str] | None:
    """(dateline, rest) if the paragraph starts with a dateline, else None.

    ``first``: the paragraph is the first of the body, where a bare "place:" / "place۔" counts too.
    """
    for rx in furniture.datelines + (furniture.loose_datelines if first else ()):
        m = rx.match(paragraph)
        if m and paragraph[m.end("dateline"):].strip():
            return m.group("dateline").strip(), paragraph[m.end("dateline"):].strip()
    return None


def folds_letters(language: str | None) -> bool:
    """Arabic letter variants become Urdu's only in Urdu text (or text of no known language): in Persian, Arabic
    or Punjabi text they are the language's own letters and are kept as written."""
    return language is None or language.lower().replace("_", "-").split("-")[0] == "ur"


def clean_document(raw_text: str, *, language: str | None = "ur", title: str | None = None) -> CleanResult:
    """Cleaned text and body metadata for one document; ``raw_text`` itself is not changed."""
    f = load_furniture(language)
    fold = folds_letters(language)
    paragraphs: list[str] = []
    removed: list[str] = []
    source_url: str | None = None
    for raw_line in _LINE_BREAK.split(raw_text):
        line = normalize_text(raw_line, fold_letters=fold).strip()
        while line:  # a glued prefix may hide more furniture behind it
            if f.source_line and (m := f.source_line.fullmatch(line)):
                source_url = source_url or m.group("url")
                line = ""
                break
            hit = match_furniture(line, f)
            if hit is None:
                break
            removed.append(hit[0])
            line = hit[1]
        if line:
            paragraphs.append(line)

    given = normalize_text(title, fold_letters=fold).strip() if title else ""
    headline: str | None = given or None
    if headline:
        if paragraphs and normalize_for_match(paragraphs[0]) == normalize_for_match(headline):
            paragraphs.pop(0)  # the body repeats the given title
    elif paragraphs and _is_headline(paragraphs[0], f):
        headline = paragraphs.pop(0)

    dateline: str | None = None
    for i, para in enumerate(paragraphs[: f.dateline_max_paragraphs]):
        if split := split_dateline(para, f, first=i == 0):
            dateline, paragraphs[i] = split
            break

    text = "\n\n".join(([headline] if headline else []) + paragraphs)
    return CleanResult(text=text, title=headline, source_url=source_url, dateline=dateline, removed_lines=removed)


def article_rows(docs: list, *, run_id: str, existing: dict[str, dict], default_language: str | None = None,
                 now: datetime | None = None) -> list[dict]:
    """Clean each document (tasks.ingest.RawDocument) into an `articles` row. Ids come from the source key and the
    raw content; ``existing``: first-seen run and time of articles stored before, by id.

    Language: the record's, else the configured default, else detected from the text as written (before
    cleaning, which folds Arabic letters into Urdu's for Urdu text only: folded Persian reads as Urdu).
    """
    from tasks.dedup import content_hash
    from tasks.ingest import article_id_of
    from tasks.nlp import detect_language

    rows = []
    now = now or datetime.now(timezone.utc)
    for doc in docs:
        article_id = article_id_of(doc)
        body = doc.main_text if doc.main_text is not None else doc.raw_text
        language = doc.language or default_language or detect_language(body)
        cleaned = clean_document(body, language=language, title=doc.title)
        first = existing.get(article_id, {})
        rows.append({
            "article_id": article_id,
            "source_path": doc.source_path,
            "source_url": doc.url or cleaned.source_url,
            "title": cleaned.title,
            "text": cleaned.text,
            "raw_text": doc.raw_text,
            "language": language,
            "published_at": doc.published_at,
            "dateline": cleaned.dateline,
            "content_hash": content_hash(cleaned.text),
            "run_id": first.get("run_id") or run_id,
            "ingested_at": first.get("ingested_at") or now,
            "record_id": doc.record_id,
            "source_name": doc.source_name,
            "encoding": doc.encoding,
            "removed_lines": cleaned.removed_lines,
            "nlp_status": "pending",
        })
    return rows
