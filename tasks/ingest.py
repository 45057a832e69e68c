"""Ingest: find input files, detect their encoding, split record files, and reject bad input with a reason.

Nothing is silently dropped: every file or record either becomes a ``RawDocument`` or a ``Rejection``
(reasons: ``REASONS``). ``RawDocument.raw_text`` is the decoded text as it was in the file; cleaning
happens later (tasks.clean).

A ``.txt`` file may open with a metadata header (``parse_txt_header``): ``key: value`` lines with the keys of
``TXT_KEYS`` ended by a blank line, or the same lines between two ``---`` lines (front matter). The article text is
then what follows it (``main_text``); ``raw_text`` keeps the whole file.
"""
from __future__ import annotations

import json
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any, Iterator, Sequence

import charset_normalizer
import trafilatura
from lxml import etree
from lxml import html as lxml_html

from tasks.ids import sha256_text, stable_id
from tasks.normalize import normalize_text

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".jsonl", ".json", ".html", ".htm")
REASONS = ("empty", "binary", "undecodable", "mojibake", "oversized", "bad_json", "json_too_deep", "missing_text",
           "unsupported_format", "unreadable", "not_a_regular_file", "ingest_failed")

# An HTML page whose main text has fewer words than this, or is only its title, holds no article.
MIN_HTML_WORDS = 3
# Single-byte code pages tried when bytes are not UTF-8: Arabic script (Windows, ISO) and Western Latin.
# Constrained on purpose: unconstrained detection calls short Arabic text cp874 or iso8859_5.
LEGACY_CANDIDATES = ("cp1256", "iso8859_6", "cp1252")
# A decoding is accepted only if at most this share of its visible characters is implausible.
MAX_IMPLAUSIBLE = 0.02
# Decoded text is mojibake when this share of its visible characters are UTF-8-as-cp1252 pairs.
MOJIBAKE_MIN_SHARE = 0.1
# Share of C0 control bytes (other than tab/newline/CR/FF) that marks a file as binary.
MAX_CONTROL_SHARE = 0.01
# Magic numbers, only to make the `binary` detail specific.
_MAGIC = {
    b"%PDF": "PDF document", b"\x89PNG": "PNG image", b"\xff\xd8\xff": "JPEG image", b"GIF8": "GIF image",
    b"PK\x03\x04": "ZIP archive (or docx/xlsx)", b"\x1f\x8b": "gzip archive", b"\x7fELF": "ELF executable",
    b"\xd0\xcf\x11\xe0": "MS Office (OLE) document",
}
_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (b"\xff\xfe\x00\x00", "utf_32"), (b"\x00\x00\xfe\xff", "utf_32"),
    (b"\xef\xbb\xbf", "utf_8_sig"), (b"\xff\xfe", "utf_16"), (b"\xfe\xff", "utf_16"),
)


class InputNotFoundError(FileNotFoundError):
    """An input path given on the command line does not exist."""

    def __init__(self, path: str | Path):
        self.path = str(path)
        super().__init__(f"input path not found: {self.path} (resolved: {os.path.abspath(Path(path).expanduser())})")


@dataclass(frozen=True)
class RawDocument:
    source_path: str  # absolute resolved path; for JSON/JSONL records f"{path}#{record id or 1-based index}"
    raw_text: str  # decoded text exactly as in the file (for HTML: the decoded HTML source)
    encoding: str  # detected, e.g. 'utf_8', 'utf_8_sig', 'utf_16', 'cp1256', 'iso8859_6'
    record_id: str | None = None
    title: str | None = None
    url: str | None = None
    published_at: datetime | None = None  # tz-aware UTC
    source_name: str | None = None
    language: str | None = None
    main_text: str | None = None  # HTML: main text (trafilatura); .txt with a metadata header: the text after it


def article_id_of(doc: RawDocument) -> str:
    """An article's id: its source key and raw content (the same file read again is the same article)."""
    return stable_id("a", doc.source_path, sha256_text(doc.raw_text))


@dataclass(frozen=True)
class Rejection:
    source_path: str
    reason: str  # one of REASONS
    detail: str  # specific, human readable
    data: bytes | None = None  # offending bytes to keep in quarantine (None if too big/unreadable)


class _Reject(Exception):
    def __init__(self, reason: str, detail: str):
        assert reason in REASONS, reason
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# ---------------------------------------------------------------- discovery

def _walk(paths: Sequence[str | Path], unreadable: list[tuple[Path, OSError]] | None = None) -> list[Path]:
    """Every non-hidden file under the given paths (any suffix), resolved, de-duplicated, sorted. Folders that
    cannot be listed are appended to ``unreadable`` (never skipped silently)."""
    found: set[Path] = set()
    for given in paths:
        p = Path(given).expanduser()
        if not p.exists() or (p.is_symlink() and not (p.is_file() or p.is_dir())):
            if os.path.lexists(p):  # a link that loops, points nowhere or to a device (an inbox names it): kept
                found.add(Path(os.path.abspath(p)))  # under its own name, as a folder walk finds it; quarantined
                continue
            raise InputNotFoundError(given)
        p = p.resolve()
        if p.is_dir():
            onerror = (lambda e: unreadable.append((Path(e.filename), e))) if unreadable is not None else None
            for root, dirs, files in os.walk(p, onerror=onerror):  # followlinks=False: no symlink cycles
                dirs[:] = [d for d in dirs if not d.startswith(".")]
                found.update(Path(root, f) for f in files if not f.startswith("."))
        else:
            found.add(p)
    return sorted(found, key=lambda q: q.as_posix())


def _supported(p: Path) -> bool:
    return p.suffix.lower() in SUPPORTED_SUFFIXES


def discover_files(paths: Sequence[str | Path]) -> list[Path]:
    """Input files with a supported suffix, recursing into directories, in sorted path order."""
    return [p for p in _walk(paths) if _supported(p)]


# ---------------------------------------------------------------- decoding

def _control_bytes(data: bytes) -> int:
    return sum(1 for b in data if b < 0x20 and b not in (0x09, 0x0A, 0x0C, 0x0D))


def _utf16_without_bom(data: bytes) -> tuple[str, str] | None:
    """UTF-16 saved without a byte-order mark: NUL in every other byte; accepted only as plausible text."""
    if len(data) < 4 or len(data) % 2:
        return None
    even, odd = data[0::2], data[1::2]
    for codec, zeros in (("utf_16_le", odd), ("utf_16_be", even)):
        # Arabic-script and Latin text in UTF-16: the high byte is 0x00 (Latin) or 0x06 (Arabic) nearly always
        if zeros.count(0) + zeros.count(6) >= 0.9 * len(zeros) and zeros.count(0) > 0:
            try:
                text = data.decode(codec)
            except UnicodeDecodeError:
                return None
            if implausible_share(text) <= MAX_IMPLAUSIBLE:
                return text, codec
    return None


def _check_binary(data: bytes) -> None:
    for magic, what in _MAGIC.items():
        if data.startswith(magic):
            raise _Reject("binary", f"looks like a {what} (starts with {magic!r}), not text")
    nul = data.find(b"\x00")
    if nul >= 0:
        raise _Reject("binary", f"contains {data.count(0)} NUL byte(s), first at offset {nul}, and no UTF-16/32 BOM")
    ctrl = _control_bytes(data)
    if ctrl and ctrl / len(data) > MAX_CONTROL_SHARE:
        raise _Reject("binary", f"{ctrl} of {len(data)} bytes are control characters ({ctrl / len(data):.1%})")


def _is_arabic(c: str) -> bool:
    o = ord(c)
    return 0x0600 <= o <= 0x06FF or 0x0750 <= o <= 0x077F or 0xFB50 <= o <= 0xFDFF or 0xFE70 <= o <= 0xFEFF


def _is_latin(c: str) -> bool:
    return c.isalpha() and (c.isascii() or 0x00C0 <= ord(c) <= 0x024F)


def implausible_share(text: str) -> float:
    """Share of visible characters that real Arabic-script/Latin text would not contain.

    Counts controls, unassigned/private code points, letters of other scripts, and every letter of a run
    of letters that mixes Arabic and Latin (what a wrong code page produces). 0.0 for clean text.
    """
    visible = sum(1 for c in text if not c.isspace())
    bad = sum(1 for c in text if unicodedata.category(c) in ("Cc", "Cn", "Co", "Cs") and not c.isspace())
    for run in _LETTER_RUN.findall(text):
        has_ar = any(_is_arabic(c) for c in run)
        has_la = any(_is_latin(c) for c in run)
        if has_ar and has_la:
            bad += len(run)
        else:
            bad += sum(1 for c in run if not (_is_arabic(c) or _is_latin(c)))
    return bad / visible if visible else 0.0


_LETTER_RUN = re.compile(r"[^\W\d_]+")


# Lead bytes of Arabic-script UTF-8 (0xD8-0xDB) read as cp1252/latin-1, followed by a continuation byte.
_MOJIBAKE_PAIR = re.compile("[\u00d8-\u00db][\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192"
                            "\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]")


def _cp1252_sloppy_bytes(text: str) -> bytes:
    # By hand (ftfy is not a dependency): Windows maps cp1252's 5 undefined bytes to U+0081 etc., so do we.
    out = bytearray()
    for c in text:
        try:
            out += c.encode("cp1252")
        except UnicodeEncodeError:
            if ord(c) > 0xFF:
                raise
            out.append(ord(c))
    return bytes(out)


def _repair_mojibake(text: str) -> str | None:
    """UTF-8 that was read as cp1252 and saved again: undo with one round trip, or None if that fails."""
    try:
        fixed = _cp1252_sloppy_bytes(text).decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return None
    if _MOJIBAKE_PAIR.search(fixed) or implausible_share(fixed) > MAX_IMPLAUSIBLE:
        return None
    return fixed


def _mojibake_share(text: str) -> float:
    visible = sum(1 for c in text if not c.isspace())
    return 2 * len(_MOJIBAKE_PAIR.findall(text)) / visible if visible else 0.0


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes to text, returning (text, encoding). Raises _Reject with a specific reason."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec), codec
            except UnicodeDecodeError as e:
                raise _Reject("undecodable", f"has a {codec} byte-order mark but is not valid {codec}: {e.reason} "
                                             f"at byte {e.start}") from None
    bomless = _utf16_without_bom(data)
    if bomless is not None:
        return bomless
    _check_binary(data)
    try:
        text, encoding = data.decode("utf-8"), "utf_8"
    except UnicodeDecodeError as e:
        if e.start >= len(data) - 3 and e.reason == "unexpected end of data":
            # cut in the middle of the last character (a truncated download): keep everything before it
            return data[:e.start].decode("utf-8"), "utf_8(truncated)"
        utf8_error = f"not valid UTF-8 ({e.reason} at byte {e.start}: 0x{data[e.start]:02x})"
        text, encoding = _decode_legacy(data, utf8_error)
    share = _mojibake_share(text)
    if share >= MOJIBAKE_MIN_SHARE:
        fixed = _repair_mojibake(text)
        sample = _MOJIBAKE_PAIR.search(text)
        if fixed is None:
            raise _Reject("mojibake", f"{share:.0%} of the text is UTF-8 read as cp1252 (e.g. "
                                      f"{text[sample.start():sample.start() + 12]!r}) and the cp1252 round trip "
                                      "does not give valid UTF-8 Arabic-script text")
        return fixed, f"{encoding}+mojibake_cp1252_repaired"
    return text, encoding


def _decode_legacy(data: bytes, utf8_error: str) -> tuple[str, str]:
    # charset-normalizer ranks the constrained candidates; we still verify the winner is plausible text.
    matches = charset_normalizer.from_bytes(data, cp_isolation=list(LEGACY_CANDIDATES))
    tried: list[str] = []
    for m in matches:
        text = str(m)
        share = implausible_share(text)
        if share <= MAX_IMPLAUSIBLE:
            return text, m.encoding
        tried.append(f"{m.encoding}: {share:.0%} implausible characters")
    raise _Reject("undecodable", f"{utf8_error}, and no plausible decoding as {', '.join(LEGACY_CANDIDATES)}"
                                 + (f" ({'; '.join(tried)})" if tried else ""))


# ---------------------------------------------------------------- records

def parse_published(value: Any) -> datetime | None:
    """ISO date or datetime (str) to tz-aware UTC; naive values are taken as UTC. None if absent/unparseable."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        dt = value
    elif isinstance(value, date):
        dt = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        s = value.strip()
        try:
            dt = datetime.fromisoformat(s[:-1] + "+00:00" if s.endswith(("Z", "z")) else s)
        except ValueError:
            log.warning("unparseable published date %r ignored", value)
            return None
    else:
        log.warning("published date of type %s ignored", type(value).__name__)
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def _opt_str(rec: dict[str, Any], *keys: str) -> str | None:
    for k in keys:
        v = rec.get(k)
        if v is not None and str(v).strip():
            return str(v).strip()
    return None


def _record_doc(path: Path, rec: Any, position: int, what: str, encoding: str) -> RawDocument:
    """One JSON record to a document; raises _Reject with the record's source path as context."""
    if not isinstance(rec, dict):
        raise _Reject("bad_json", f"{what} is a JSON {type(rec).__name__}, expected an object with a 'text' field")
    rid = _opt_str(rec, "id")
    text = rec.get("text")
    if not isinstance(text, str) or not text.strip():
        got = "missing" if "text" not in rec else (
            "empty" if isinstance(text, str) else f"a {type(text).__name__}, not a string")
        raise _Reject("missing_text", f"{what}: field 'text' is {got}")
    return RawDocument(
        source_path=f"{path}#{rid or position}",
        raw_text=text,
        encoding=encoding,
        record_id=rid,
        title=_opt_str(rec, "title"),
        url=_opt_str(rec, "url"),
        published_at=parse_published(rec.get("published_at", rec.get("date"))),
        source_name=_opt_str(rec, "source"),
        language=_opt_str(rec, "language"),
    )


def _records(path: Path, data: bytes, text: str, encoding: str) -> Iterator[RawDocument | Rejection]:
    if path.suffix.lower() == ".jsonl":
        for n, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            key = f"{path}#{n}"
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                yield Rejection(key, "bad_json", f"line {n}: {e.msg} at column {e.colno}", line.encode("utf-8"))
                continue
            except RecursionError:
                yield Rejection(key, "json_too_deep", f"line {n}: nested deeper than the JSON reader allows",
                                line.encode("utf-8"))
                continue
            try:
                yield _record_doc(path, rec, n, f"line {n}", encoding)
            except _Reject as r:
                yield Rejection(_key(path, rec, n), r.reason, r.detail, line.encode("utf-8"))
        return
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as e:
        yield Rejection(str(path), "bad_json", f"{e.msg} at line {e.lineno} column {e.colno}", data)
        return
    except RecursionError:
        yield Rejection(str(path), "json_too_deep", "nested deeper than the JSON reader allows", data)
        return
    items = obj if isinstance(obj, list) else [obj]
    for i, rec in enumerate(items, start=1):
        what = f"item {i}" if isinstance(obj, list) else "the top-level value"
        try:
            yield _record_doc(path, rec, i, what, encoding)
        except _Reject as r:
            yield Rejection(_key(path, rec, i), r.reason, r.detail,
                            json.dumps(rec, ensure_ascii=False).encode("utf-8"))


def _key(path: Path, rec: Any, position: int) -> str:
    rid = _opt_str(rec, "id") if isinstance(rec, dict) else None
    return f"{path}#{rid or position}"


# ---------------------------------------------------------------- .txt metadata header

# Header keys (case-insensitive; "-" = "_") -> RawDocument field. The same names as in JSON records.
TXT_KEYS = {"title": "title", "date": "published_at", "published_at": "published_at", "published": "published_at",
            "url": "url", "source": "source_name", "language": "language", "id": "record_id"}
_HEADER_LINE = re.compile(r"([A-Za-z][A-Za-z_\-]*)[ \t]*:[ \t]*(.*?)[ \t]*")
_FRONT_MATTER = "---"


@dataclass(frozen=True)
class TxtHeader:
    fields: dict[str, str]  # TXT_KEYS key -> value, as written (quotes around a value removed)
    body: str  # the text after the header
    ignored: tuple[str, ...] = ()  # front-matter keys that are not in TXT_KEYS


def _header_pair(line: str) -> tuple[str, str] | None:
    m = _HEADER_LINE.fullmatch(line)
    if not m:
        return None
    value = m.group(2)
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        value = value[1:-1].strip()
    return m.group(1).lower().replace("-", "_"), value


def parse_txt_header(text: str) -> TxtHeader | None:
    """The metadata header at the top of a .txt file, or None when it has none (the whole file is text).

    Two forms. (1) From the first line, ``key: value`` lines, every key one of ``TXT_KEYS``, ended by a blank
    line: a file whose first line is "title: …" but whose block holds any other line has no header, so a text
    that merely starts with "Date: …" stays whole. (2) Front matter: a first line ``---``, ``key: value`` lines,
    a closing ``---``; other lines and keys not in ``TXT_KEYS`` are skipped there (keys reported in ``ignored``).
    """
    lines = text.splitlines(keepends=True)
    if not lines:
        return None
    if lines[0].strip() == _FRONT_MATTER:
        for end in range(1, len(lines)):
            if lines[end].strip() == _FRONT_MATTER:
                break
        else:
            return None
        # fenced, so lenient: other lines (YAML lists, comments) and unknown keys are skipped
        pairs = [p for line in lines[1:end] if (p := _header_pair(line.strip()))]
        fields = {k: v for k, v in pairs if k in TXT_KEYS and v}
        ignored = tuple(k for k, _ in pairs if k not in TXT_KEYS)
        return TxtHeader(fields, "".join(lines[end + 1:]), ignored)
    fields: dict[str, str] = {}
    for n, line in enumerate(lines):
        if not line.strip():
            return TxtHeader(fields, "".join(lines[n + 1:])) if fields else None
        pair = _header_pair(line.strip())
        if pair is None or pair[0] not in TXT_KEYS:
            return None
        if pair[1]:
            fields[pair[0]] = pair[1]
    return None  # no blank line: a file of "key: value" lines only is text, not a header with no body


def _txt_doc(path: Path, text: str, encoding: str) -> RawDocument:
    header = parse_txt_header(text)
    if header is None:
        return RawDocument(source_path=str(path), raw_text=text, encoding=encoding)
    if not header.body.strip():
        raise _Reject("missing_text", "the file has a metadata header (" + ", ".join(header.fields)
                      + ") but no text after it")
    if header.ignored:
        log.info("%s: front-matter keys ignored: %s (known: %s)", path, ", ".join(header.ignored),
                 ", ".join(TXT_KEYS))
    f = header.fields
    values: dict[str, Any] = {field: f[key] for key, field in TXT_KEYS.items() if key in f and field != "published_at"}
    # as in JSON records: published_at before date
    values["published_at"] = parse_published(f.get("published_at") or f.get("published") or f.get("date"))
    if "url" not in values and re.match(r"(?:https?://|www\.)\S+$", values.get("source_name", "")):
        values["url"] = values.pop("source_name")  # "source: https://…" names the page, not the outlet
    return RawDocument(source_path=str(path), raw_text=text, encoding=encoding, main_text=header.body, **values)


# ---------------------------------------------------------------- HTML

_DATE_META = ("article:published_time", "og:published_time", "datePublished", "date", "pubdate",
              "publish-date", "dc.date.issued", "DC.date.issued")


def _html_doc(path: Path, text: str, encoding: str) -> RawDocument:
    main = trafilatura.extract(text, include_comments=False, include_tables=False, with_metadata=False)
    if not main or not main.strip():
        raise _Reject("missing_text", "trafilatura found no main text in this HTML page")
    try:
        tree = lxml_html.document_fromstring(text)
    except (ValueError, etree.ParserError):  # e.g. an <?xml encoding=…?> prolog on a str
        tree = None

    def first(xpath: str) -> str | None:
        vals = tree.xpath(xpath) if tree is not None else []
        return next((str(v).strip() for v in vals if str(v).strip()), None)

    meta = trafilatura.extract_metadata(text)
    title = (meta.title if meta else None) or first("//title/text()")
    if len(main.split()) < MIN_HTML_WORDS or main.strip() == (title or "").strip():
        # a page of scripts and navigation: trafilatura falls back to a menu word or the title ("Home")
        raise _Reject("missing_text", f"no article text in this HTML page (main text {main.strip()[:40]!r})")
    url = first("//link[@rel='canonical']/@href") or first("//meta[@property='og:url']/@content")
    published = None
    for key in _DATE_META:  # only dates the page states; trafilatura's date guess also reads body text
        value = first(f"//meta[@property='{key}' or @name='{key}' or @itemprop='{key}']/@content")
        if value and (published := parse_published(value)):
            break
    if published is None:
        published = parse_published(first("//time/@datetime"))
    lang = first("/html/@lang")
    return RawDocument(source_path=str(path), raw_text=text, encoding=encoding, title=title, url=url,
                       published_at=published, language=lang.split("-")[0].lower() if lang else None,
                       main_text=main)


# ---------------------------------------------------------------- entry point

def _ingest_file(path: Path, max_bytes: int) -> Iterator[RawDocument | Rejection]:
    """A file's documents and rejections, one record at a time (a JSON-lines file is not held as a list)."""
    key = str(path)
    if not _supported(path):
        yield Rejection(key, "unsupported_format", f"unsupported file type {path.suffix or '(no suffix)'!r}; "
                                                   f"supported: {' '.join(SUPPORTED_SUFFIXES)}", None)
        return
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):  # a FIFO would block for ever, a device (/dev/zero) never ends
            yield Rejection(key, "not_a_regular_file", f"not a regular file ({_file_kind(st.st_mode)})", None)
            return
        if st.st_size > max_bytes:
            yield Rejection(key, "oversized", f"{st.st_size} bytes exceeds max_bytes={max_bytes}", None)
            return
        with path.open("rb") as fh:
            data = fh.read(max_bytes + 1)  # bounded by bytes actually read, not by what stat said
    except OSError as e:
        yield Rejection(key, "unreadable", f"cannot read file: {e.strerror or e}", None)
        return
    if len(data) > max_bytes:  # grew between stat and read
        yield Rejection(key, "oversized", f"{len(data)} bytes exceeds max_bytes={max_bytes}", None)
        return
    if not data:
        yield Rejection(key, "empty", "file is 0 bytes", data)
        return
    try:
        text, encoding = decode_bytes(data)
        if not normalize_text(text).strip():  # no-break and zero-width spaces are nothing too
            raise _Reject("empty", f"file has only whitespace ({len(data)} bytes, {encoding})")
        suffix = path.suffix.lower()
        if suffix in (".json", ".jsonl"):
            yield from _records(path, data, text, encoding)
            return
        doc = _html_doc(path, text, encoding) if suffix in (".html", ".htm") else _txt_doc(path, text, encoding)
    except _Reject as r:
        yield Rejection(key, r.reason, r.detail, data)
        return
    yield doc


def _file_kind(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "a special file"


@dataclass(frozen=True)
class FileDone:
    """Marks the end of a file in the stream: every document and rejection of ``path`` came before it."""
    path: Path


def iter_ingest(paths: Sequence[str | Path], *, max_bytes: int) -> Iterator[RawDocument | Rejection | FileDone]:
    """Every input under ``paths`` (deterministic order), one document or rejection at a time, each file followed
    by its ``FileDone``; only the file being read is held (at most ``max_bytes``), so memory does not follow the
    number of files.

    One input never stops the stream: anything a file raises that the readers did not foresee quarantines (the
    rest of) that file with the exception named, and the next file follows."""
    unreadable: list[tuple[Path, OSError]] = []
    files = _walk(paths, unreadable)
    for folder, err in unreadable:
        yield Rejection(str(folder), "unreadable", f"cannot list folder: {err.strerror or err}", None)
    for path in files:
        try:
            yield from _ingest_file(path, max_bytes)
        except (Exception, RecursionError) as exc:  # noqa: BLE001 - isolation is the point
            yield Rejection(str(path), "ingest_failed", f"{type(exc).__name__}: {str(exc)[:200]}", None)
        yield FileDone(path)


def ingest_paths(paths: Sequence[str | Path], *, max_bytes: int) -> tuple[list[RawDocument], list[Rejection]]:
    """Read every input under ``paths`` (deterministic order) into documents and rejections (``iter_ingest``
    as two lists, for callers that want the whole input at once)."""
    docs: list[RawDocument] = []
    rejects: list[Rejection] = []
    for item in iter_ingest(paths, max_bytes=max_bytes):
        if isinstance(item, RawDocument):
            docs.append(item)
        elif isinstance(item, Rejection):
            rejects.append(item)
    return docs, rejects


@dataclass
class IngestBatch:
    """Up to ``size`` documents of the stream, the rejections met meanwhile, and the files that ended in it."""
    number: int  # 1, 2, ...
    docs: list[RawDocument]
    rejections: list[Rejection]
    files: list[Path]  # files whose every record is in this batch or an earlier one
    last: bool  # no batch follows

    @property
    def only(self) -> bool:
        """The run's one batch."""
        return self.number == 1 and self.last


def batches(stream: Iterator[RawDocument | Rejection | FileDone], size: int) -> Iterator[IngestBatch]:
    """Cut the stream into batches of at most ``size`` documents (at least one batch, perhaps empty).

    A batch is closed only when the next document arrives, so the rejections and file ends that follow its last
    document go with it: a file is listed in the batch holding its last record (a file that spans batches is
    recorded once all of its records are in)."""
    size = max(1, int(size))
    current = IngestBatch(1, [], [], [], last=False)
    for item in stream:
        if isinstance(item, RawDocument):
            if len(current.docs) >= size:
                yield current
                current = IngestBatch(current.number + 1, [], [], [], last=False)
            current.docs.append(item)
        elif isinstance(item, Rejection):
            current.rejections.append(item)
        else:
            current.files.append(item.path)
    current.last = True
    yield current
