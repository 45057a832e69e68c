"""Find and resolve Urdu date expressions: explicit dates, weekdays and relative phrases.

Every expression is resolved against a reference date (``reference``): the article's publication date, else the
date in its dateline ("ممبئی ۔ یکم دسمبر (اے پی پی)", cut from the text by tasks.clean), else none. A date found in
the body is never the reference: a body mostly dates background ("the 2013 agreement"), and reading today's
"گزشتہ روز" against it put every event of an article a year back. With no reference, relative expressions,
weekdays and dates without a year resolve to nothing (the event's date stays unknown) rather than to a guess.
A dateline date without a year takes the year of a date in the body with the dateline's own month (and day, when
the body gives one), e.g. the body repeats "یکم دسمبر 2014"; with no such date it gives no reference.
Precision says how much the text pinned down: day, week, month, year; events with no expression of their own get
the reference date with precision ``article``. Language words live in khabar/lang/ur/dates.yaml.
"""
from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from khabar.config import LANG_DIR
from tasks.yamlload import load_yaml

PRECISIONS = ("day", "week", "month", "year", "article")
_DIGITS = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")
_NUM = r"[0-9۰-۹٠-٩]"
_B, _E = r"(?<![\w])", r"(?![\w])"  # word edges for Arabic script (\w covers Urdu letters)


@dataclass(frozen=True, eq=False)  # identity hash: used as an lru_cache key
class DateWords:
    months: dict[str, int]
    weekdays: dict[str, int]
    day_words: dict[str, int]  # "یکم" -> 1
    weekday_followers: tuple[str, ...]
    year_suffix: tuple[str, ...]
    relative: dict[str, tuple[str, int]]


@dataclass(frozen=True)
class DateExpr:
    """A date expression found in text. Fields left None were not stated (filled from the reference)."""
    start: int
    end: int
    text: str
    kind: str  # explicit | weekday | relative
    day: int | None = None
    month: int | None = None
    year: int | None = None
    weekday: int | None = None
    unit: str | None = None
    offset: int = 0
    relative_year: int | None = None  # "رواں سال جون": offset of the year relative to the reference


@dataclass(frozen=True)
class ResolvedDate:
    date: date
    precision: str


def load_date_words(lang: str = "ur", path: Path | None = None) -> DateWords:
    return _load_words(Path(path) if path else LANG_DIR / lang / "dates.yaml")


@lru_cache(maxsize=4)
def _load_words(path: Path) -> DateWords:
    data = load_yaml(path)
    months = {w: int(n) for n, ws in data["months"].items() for w in ws}
    weekdays = {w: int(n) for n, ws in data["weekdays"].items() for w in ws}
    if sorted(set(months.values())) != list(range(1, 13)):
        raise ValueError(f"{path}: months must cover 1..12")
    if sorted(set(weekdays.values())) != list(range(7)):
        raise ValueError(f"{path}: weekdays must cover 0..6")
    day_words = {w: int(n) for w, n in (data.get("day_words") or {}).items()}
    if not all(1 <= n <= 31 for n in day_words.values()):
        raise ValueError(f"{path}: day_words must map words to 1..31")
    relative = {}
    for phrase, spec in data["relative"].items():
        if spec["unit"] not in ("day", "week", "month", "year", "skip"):
            raise ValueError(f"{path}: bad unit for {phrase!r}: {spec['unit']}")
        relative[phrase] = (spec["unit"], int(spec["offset"]))
    return DateWords(months, weekdays, day_words, tuple(data["weekday_followers"]), tuple(data["year_suffix"]), relative)


def _alt(words) -> str:
    return "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True))


@lru_cache(maxsize=4)
def _patterns(words: DateWords) -> list[tuple[str, re.Pattern]]:
    m, wd, suf = _alt(words.months), _alt(words.weekdays), _alt(words.year_suffix)
    rel_year = _alt(p for p, (u, _) in words.relative.items() if u == "year")
    sep = r"[\s,،]*"
    day = rf"{_NUM}{{1,2}}" + (f"|{_alt(words.day_words)}" if words.day_words else "")
    # Order matters: longer, more specific forms first; a span taken by one is not reused.
    return [
        ("dmy", re.compile(rf"{_B}(?P<d>{day})\s*(?P<m>{m}){sep}(?P<y>{_NUM}{{4}})\s*(?:{suf})?{_E}")),
        ("ry_m", re.compile(rf"{_B}(?P<ry>{rel_year})\s+(?P<m>{m}){_E}")),
        ("my", re.compile(rf"{_B}(?P<m>{m}){sep}(?P<y>{_NUM}{{4}})\s*(?:{suf})?{_E}")),
        ("dm", re.compile(rf"{_B}(?P<d>{day})\s*(?P<m>{m}){_E}")),
        ("wd", re.compile(rf"{_B}(?P<w>{wd})\s+(?={_alt(words.weekday_followers)}{_E})")),
        ("rel", re.compile(rf"{_B}(?P<r>{_alt(words.relative)}){_E}")),
        ("m", re.compile(rf"{_B}(?P<m>{m})\s+(?=میں|کو|کے|سے|تک)")),
        ("y", re.compile(rf"{_B}(?P<y>(?:19|20){_NUM}{{2}}|[۱١][۹٩][۰-۹٠-٩]{{2}}|[۲٢][۰٠][۰-۹٠-٩]{{2}})\s*(?:(?:{suf})|(?=\s*(?:میں|تک)))")),
    ]


def find_dates(text: str, words: DateWords | None = None) -> list[DateExpr]:
    """Every date expression in ``text``, in text order, non-overlapping."""
    words = words or load_date_words()
    taken: list[tuple[int, int]] = []
    found: list[DateExpr] = []
    for kind, rx in _patterns(words):
        for mt in rx.finditer(text):
            s, e = mt.span()
            if any(s < te and ts < e for ts, te in taken):
                continue
            g = mt.groupdict()
            def num(k: str) -> int | None:
                if not g.get(k):
                    return None
                return words.day_words[g[k]] if g[k] in words.day_words else int(g[k].translate(_DIGITS))
            expr = None
            if kind in ("dmy", "my", "dm", "m"):
                day = num("d")
                if day is not None and not 1 <= day <= 31:
                    continue
                expr = DateExpr(s, e, mt.group(0).strip(), "explicit", day=day, month=words.months[g["m"]],
                                year=num("y"))
            elif kind == "ry_m":
                expr = DateExpr(s, e, mt.group(0).strip(), "explicit", month=words.months[g["m"]],
                                relative_year=words.relative[g["ry"]][1])
            elif kind == "y":
                expr = DateExpr(s, e, mt.group(0).strip(), "explicit", year=num("y"))
            elif kind == "wd":
                expr = DateExpr(s, e, mt.group(0).strip(), "weekday", weekday=words.weekdays[g["w"]])
            elif kind == "rel":
                unit, off = words.relative[g["r"]]
                taken.append((s, e))
                if unit == "skip":
                    continue
                expr = DateExpr(s, e, mt.group(0).strip(), "relative", unit=unit, offset=off)
            taken.append((s, e))
            found.append(expr)
    return sorted(found, key=lambda x: x.start)


def _shift_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    return date(idx // 12, idx % 12 + 1, 1)


def resolve_date(expr: DateExpr, reference: date | None, after: bool = False) -> ResolvedDate | None:
    """The calendar date an expression refers to, read against ``reference`` (None when it cannot be known).

    Weekdays take the most recent such day on or before the reference (news reports the past); dates without a
    year the most recent such date. ``after``: the reference is only a lower bound of the publication date, so a
    weekday is the first such day on or after it instead (``reference`` no longer makes such references; kept for
    callers that have one).
    """
    if expr.kind == "explicit":
        if expr.year is not None and expr.month is not None and expr.day is not None:
            try:
                return ResolvedDate(date(expr.year, expr.month, expr.day), "day")
            except ValueError:
                return None
        if expr.year is not None and expr.month is not None:
            return ResolvedDate(date(expr.year, expr.month, 1), "month")
        if expr.year is not None:
            return ResolvedDate(date(expr.year, 1, 1), "year")
        if reference is None or expr.month is None:
            return None
        if expr.relative_year is not None:
            return ResolvedDate(date(reference.year + expr.relative_year, expr.month, 1), "month")
        year = reference.year
        if expr.day is not None:
            day = min(expr.day, calendar.monthrange(year, expr.month)[1])
            cand = date(year, expr.month, day)
            if cand > reference:
                cand = date(year - 1, expr.month, min(expr.day, calendar.monthrange(year - 1, expr.month)[1]))
            return ResolvedDate(cand, "day")
        if (expr.month, 1) > (reference.month, 1):
            year -= 1
        return ResolvedDate(date(year, expr.month, 1), "month")
    if reference is None:
        return None
    if expr.kind == "weekday":
        if after:
            return ResolvedDate(reference + timedelta(days=(expr.weekday - reference.weekday()) % 7), "day")
        back = (reference.weekday() - expr.weekday) % 7
        return ResolvedDate(reference - timedelta(days=back), "day")
    if expr.unit == "day":
        return ResolvedDate(reference + timedelta(days=expr.offset), "day")
    if expr.unit == "week":
        # The Monday of the week meant: "last week" is a week-wide span, not a day.
        monday = reference - timedelta(days=reference.weekday())
        return ResolvedDate(monday + timedelta(weeks=expr.offset), "week")
    if expr.unit == "month":
        return ResolvedDate(_shift_months(reference, expr.offset), "month")
    if expr.unit == "year":
        return ResolvedDate(date(reference.year + expr.offset, 1, 1), "year")
    return None


def as_date(value: date | datetime | str | None) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return datetime.fromisoformat(str(value)).date()
    except ValueError:
        return None


REFERENCE_SOURCES = ("published", "dateline")


@dataclass(frozen=True)
class Reference:
    date: date
    from_text: bool = False  # kept for callers (``after`` in resolve_date); always False: see the module docstring
    source: str = "published"  # one of REFERENCE_SOURCES


def dateline_date(dateline: str | None, text: str = "", words: DateWords | None = None) -> date | None:
    """The day a dateline was filed: "لاہور ۔ 13اکتوبر (اے پی پی)" -> 13 Oct of a year given by the dateline or
    by the body (a date there with the dateline's month, and its day when the body gives one); None otherwise."""
    if not dateline:
        return None
    words = words or load_date_words()
    expr = next((e for e in find_dates(dateline, words) if e.kind == "explicit" and e.day and e.month), None)
    if expr is None:
        return None
    year = expr.year
    if year is None:  # only a body date that repeats the dateline's month (and day) can lend its year
        years = [e.year for e in find_dates(text, words) if e.kind == "explicit" and e.year and e.month == expr.month
                 and e.day in (None, expr.day)]
        year = max(years) if years else None
    if year is None:
        return None
    try:
        return date(year, expr.month, expr.day)
    except ValueError:
        return None


def reference(text: str, published_at: date | datetime | str | None,
              words: DateWords | None = None, *, dateline: str | None = None) -> Reference | None:
    """The date relative expressions are read against: publication date, else the dateline's date, else None.

    ``text`` is only searched for the year of a yearless dateline date; a date in the body is never the reference.
    """
    pub = as_date(published_at)
    if pub is not None:
        return Reference(pub, False, "published")
    filed = dateline_date(dateline, text, words)
    return Reference(filed, False, "dateline") if filed else None


def reference_date(text: str, published_at: date | datetime | str | None,
                   words: DateWords | None = None, *, dateline: str | None = None) -> date | None:
    ref = reference(text, published_at, words, dateline=dateline)
    return ref.date if ref else None
