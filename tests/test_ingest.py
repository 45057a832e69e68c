"""Ingest: discovery, encodings, record files, HTML and every rejection reason, on real seed/COUNTER text."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from tasks.clean import clean_document
from tasks.ingest import (REASONS, InputNotFoundError, RawDocument, Rejection, discover_files, ingest_paths,
                          parse_txt_header)
from tasks.normalize import normalize_text

MAX = 1_000_000


def seed_texts(seeds_dir: Path) -> list[str]:
    return [p.read_text(encoding="utf-8") for p in sorted(seeds_dir.glob("*.txt"))]


def one(tmp_path: Path, name: str, data: bytes, max_bytes: int = MAX) -> tuple[list[RawDocument], list[Rejection]]:
    p = tmp_path / name
    p.write_bytes(data)
    return ingest_paths([p], max_bytes=max_bytes)


def only_rejection(result: tuple[list[RawDocument], list[Rejection]]) -> Rejection:
    docs, rej = result
    assert docs == [] and len(rej) == 1, (docs, rej)
    assert rej[0].reason in REASONS
    return rej[0]


# ---------------------------------------------------------------- discovery

def test_discover_recursive_sorted_and_filtered(tmp_path: Path) -> None:
    for rel in ["b/z.txt", "a/y.JSONL", "a/deep/x.html", "c.htm", "d.json", "notes.pdf", ".hidden.txt", "a/.git/k.txt"]:
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    found = discover_files([tmp_path / "b", tmp_path])  # overlapping inputs are de-duplicated
    rel = [p.relative_to(tmp_path).as_posix() for p in found]
    assert rel == ["a/deep/x.html", "a/y.JSONL", "b/z.txt", "c.htm", "d.json"]
    assert all(p.is_absolute() for p in found)


def test_missing_input_names_the_path(tmp_path: Path) -> None:
    missing = tmp_path / "nope" / "articles"
    with pytest.raises(InputNotFoundError, match="nope/articles") as e:
        discover_files([tmp_path, missing])
    assert isinstance(e.value, FileNotFoundError)
    with pytest.raises(InputNotFoundError):
        ingest_paths([missing], max_bytes=MAX)


def test_seed_directory_ingests_in_order(seeds_dir: Path) -> None:
    docs, rej = ingest_paths([seeds_dir], max_bytes=MAX)
    assert rej == []
    assert [Path(d.source_path).name for d in docs] == sorted(p.name for p in seeds_dir.glob("*.txt"))
    for d, text in zip(docs, seed_texts(seeds_dir)):
        assert d.raw_text == text and d.encoding == "utf_8" and d.main_text is None
        assert Path(d.source_path).is_absolute()
    assert ingest_paths([seeds_dir], max_bytes=MAX) == (docs, rej)


# ---------------------------------------------------------------- encodings

@pytest.mark.parametrize("codec,expected", [
    ("utf-8", "utf_8"), ("utf-8-sig", "utf_8_sig"), ("utf-16", "utf_16"),
    ("utf-16-le-bom", "utf_16"), ("utf-16-be-bom", "utf_16"),
])
def test_unicode_encodings_land_identically(tmp_path: Path, seeds_dir: Path, codec: str, expected: str) -> None:
    for i, text in enumerate(seed_texts(seeds_dir)):
        if codec == "utf-16-le-bom":
            data = b"\xff\xfe" + text.encode("utf-16-le")
        elif codec == "utf-16-be-bom":
            data = b"\xfe\xff" + text.encode("utf-16-be")
        else:
            data = text.encode(codec)
        docs, rej = one(tmp_path, f"{i}.txt", data)
        assert rej == [] and docs[0].raw_text == text and docs[0].encoding == expected


def _as_cp1256_urdu(text: str) -> str:
    # How Urdu is written in Windows-1256: Arabic yeh for ی and a Latin full stop for ۔ (neither is in the code page).
    return text.replace("\u06cc", "\u064a").replace("\u06d4", ".")


def test_windows_1256_real_urdu(tmp_path: Path, seeds_dir: Path) -> None:
    for i, text in enumerate(seed_texts(seeds_dir)):
        legacy = _as_cp1256_urdu(text)
        docs, rej = one(tmp_path, f"{i}.txt", legacy.encode("cp1256"))
        assert rej == [], rej
        assert docs[0].encoding == "cp1256" and docs[0].raw_text == legacy
        assert normalize_text(docs[0].raw_text) == normalize_text(legacy)
        assert "\u06a9" in docs[0].raw_text and "\u06d2" in docs[0].raw_text  # keheh, yeh barree survived
    # a single short headline is still told apart from other code pages
    headline = _as_cp1256_urdu(seed_texts(seeds_dir)[0].splitlines()[0])
    docs, _ = one(tmp_path, "short.txt", headline.encode("cp1256"))
    assert docs[0].raw_text == headline


def _iso8859_6_words(text: str) -> list[str]:
    folded = text.replace("\u06cc", "\u064a").replace("\u06a9", "\u0643").replace("\u06c1", "\u0647")
    keep = []
    for w in folded.split():
        try:
            w.encode("iso8859_6")
        except UnicodeEncodeError:
            continue
        if any("\u0621" <= c <= "\u064a" for c in w):
            keep.append(w)
    return keep


def test_iso_8859_6_arabic_letter_text(tmp_path: Path, seeds_dir: Path) -> None:
    for i, text in enumerate(seed_texts(seeds_dir)):
        words = _iso8859_6_words(text)[:40]
        assert len(words) >= 20
        sample = " ".join(words)
        docs, rej = one(tmp_path, f"{i}.txt", sample.encode("iso8859_6"))
        assert rej == [], rej
        assert normalize_text(docs[0].raw_text) == normalize_text(sample)
        assert docs[0].encoding in ("iso8859_6", "cp1256")  # identical bytes for text using only shared letters


def _mojibake(text: str) -> bytes:
    # UTF-8 read as Windows-1252 (undefined bytes kept as C1 controls, as Windows does) and saved as UTF-8
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in text.encode("utf-8")).encode("utf-8")


def test_repairable_mojibake_is_repaired(tmp_path: Path, seeds_dir: Path) -> None:
    text = seed_texts(seeds_dir)[2]
    data = _mojibake(text)
    assert "Ø±ÙˆØ³ÛŒ".encode("utf-8") in data  # روسی as it looks when broken
    docs, rej = one(tmp_path, "m.txt", data)
    assert rej == [] and docs[0].raw_text == text and "mojibake" in docs[0].encoding


def test_irreparable_mojibake_is_rejected(tmp_path: Path, seeds_dir: Path) -> None:
    text = seed_texts(seeds_dir)[0]
    # the broken copy lost the bytes cp1252 cannot show (ہ = DB 81 -> "Û?"): no round trip can restore them
    data = text.encode("utf-8").decode("cp1252", errors="replace").replace("\ufffd", "?").encode("utf-8")
    r = only_rejection(one(tmp_path, "m.txt", data))
    assert r.reason == "mojibake" and "cp1252" in r.detail and r.data == data


# ---------------------------------------------------------------- rejections

def test_empty_and_whitespace(tmp_path: Path) -> None:
    r = only_rejection(one(tmp_path, "e.txt", b""))
    assert r.reason == "empty" and "0 bytes" in r.detail and r.data == b""
    r = only_rejection(one(tmp_path, "w.txt", " \n\t\r\n \u00a0".encode("utf-8")))
    assert r.reason == "empty" and "whitespace" in r.detail


def test_binary(tmp_path: Path, seeds_dir: Path) -> None:
    text = seed_texts(seeds_dir)[1].encode("utf-8")
    r = only_rejection(one(tmp_path, "n.txt", text[:200] + b"\x00\x00" + text[200:]))
    assert r.reason == "binary" and "NUL" in r.detail and "offset 200" in r.detail
    r = only_rejection(one(tmp_path, "p.txt", b"\x89PNG\r\n\x1a\n" + bytes(range(256))))
    assert r.reason == "binary" and "PNG" in r.detail
    r = only_rejection(one(tmp_path, "c.txt", b"abc\x01\x02\x03\x04\x05def" * 20))
    assert r.reason == "binary" and "control" in r.detail


def test_undecodable(tmp_path: Path) -> None:
    data = bytes(range(0x80, 0x100)) * 4
    r = only_rejection(one(tmp_path, "u.txt", data))
    assert r.reason == "undecodable" and "UTF-8" in r.detail and r.data == data


def test_oversized_keeps_no_bytes(tmp_path: Path, seeds_dir: Path) -> None:
    data = seed_texts(seeds_dir)[0].encode("utf-8")
    r = only_rejection(one(tmp_path, "big.txt", data, max_bytes=len(data) - 1))
    assert r.reason == "oversized" and str(len(data)) in r.detail and r.data is None
    docs, rej = one(tmp_path, "fits.txt", data, max_bytes=len(data))
    assert rej == [] and len(docs) == 1


def test_unsupported_and_unreadable_in_a_directory(tmp_path: Path, seeds_dir: Path) -> None:
    (tmp_path / "ok.txt").write_text(seed_texts(seeds_dir)[1], encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF-1.4")
    (tmp_path / "gone.txt").symlink_to(tmp_path / "missing-target.txt")
    docs, rej = ingest_paths([tmp_path], max_bytes=MAX)
    assert [Path(d.source_path).name for d in docs] == ["ok.txt"]
    by_name = {Path(r.source_path).name: r for r in rej}
    assert by_name["scan.pdf"].reason == "unsupported_format" and ".pdf" in by_name["scan.pdf"].detail
    assert by_name["gone.txt"].reason == "unreadable" and by_name["gone.txt"].data is None


# ---------------------------------------------------------------- .txt metadata header (Urdu written for the tests)

TXT_BODY = "واشنگٹن: امریکی وزیر خارجہ نے گزشتہ روز کہا کہ مذاکرات جاری رہیں گے۔\nدوسرا پیراگراف یہاں ہے۔\n"


def test_txt_header_block(tmp_path: Path) -> None:
    head = ("title: مذاکرات جاری رہیں گے\nDate: 2024-11-14\nurl: https://example.pk/story/1\nsource: example.pk\n"
            "language: ur\n\n")
    (doc,), rej = one(tmp_path, "a.txt", (head + TXT_BODY).encode("utf-8"))
    assert rej == []
    assert doc.raw_text == head + TXT_BODY and doc.main_text == TXT_BODY  # raw text kept whole
    assert doc.title == "مذاکرات جاری رہیں گے" and doc.url == "https://example.pk/story/1"
    assert doc.source_name == "example.pk" and doc.language == "ur"
    assert doc.published_at == datetime(2024, 11, 14, tzinfo=timezone.utc)
    assert doc.source_path == str((tmp_path / "a.txt").resolve())
    # what the pipeline cleans (main_text): no header line reaches articles.text; the dateline is cut
    r = clean_document(doc.main_text, title=doc.title)
    assert r.text.startswith("مذاکرات جاری رہیں گے\n\nامریکی وزیر خارجہ") and r.dateline == "واشنگٹن:"
    assert "example.pk" not in r.text and "2024" not in r.text


def test_txt_front_matter_with_bom_crlf_and_other_keys(tmp_path: Path) -> None:
    text = ('---\r\ntitle: "سرخی یہاں ہے"\r\npublished_at: 2024-11-14T09:30:00+05:00\r\ntags:\r\n  - غزہ\r\n'
            "author: کوئی\r\n---\r\n" + TXT_BODY.replace("\n", "\r\n"))
    (doc,), rej = one(tmp_path, "b.txt", text.encode("utf-8-sig"))
    assert rej == [] and doc.title == "سرخی یہاں ہے"
    assert doc.published_at == datetime(2024, 11, 14, 4, 30, tzinfo=timezone.utc)
    assert doc.main_text.startswith("واشنگٹن:") and doc.raw_text == text
    assert parse_txt_header(text).ignored == ("tags", "author")


def test_txt_header_date_and_published_at(tmp_path: Path) -> None:
    (doc,), _ = one(tmp_path, "c.txt", ("date: 2020-01-01\npublished_at: 2024-11-14\n\n" + TXT_BODY).encode())
    assert doc.published_at == datetime(2024, 11, 14, tzinfo=timezone.utc)  # as in JSON records
    (doc,), _ = one(tmp_path, "d.txt", ("date: 14 نومبر\n\n" + TXT_BODY).encode())
    assert doc.published_at is None and doc.main_text == TXT_BODY  # unparseable: warned and left out, like records
    (doc,), _ = one(tmp_path, "e.txt", ("source: https://example.pk/x\n\n" + TXT_BODY).encode())
    assert doc.url == "https://example.pk/x" and doc.source_name is None


@pytest.mark.parametrize("text", [
    TXT_BODY,
    "title: سرخی\n" + TXT_BODY,  # no blank line ends the block: a "title:" line followed by prose
    "title: سرخی\nواشنگٹن: امریکی وزیر خارجہ نے کہا۔\n\n" + TXT_BODY,  # a non-key line in the block
    "Note: this is English text\n\n" + TXT_BODY,  # not a known key
    "موضوع: سرخی\n\n" + TXT_BODY,
    "\ntitle: سرخی\n\n" + TXT_BODY,  # the header must start on the first line
    "---\ntitle: سرخی\n" + TXT_BODY,  # front matter never closed
])
def test_txt_without_header_is_all_text(tmp_path: Path, text: str) -> None:
    assert parse_txt_header(text) is None
    (doc,), rej = one(tmp_path, "f.txt", text.encode("utf-8"))
    assert rej == [] and doc.raw_text == text and doc.main_text is None and doc.published_at is None


def test_txt_header_without_text_is_quarantined(tmp_path: Path) -> None:
    rej = only_rejection(one(tmp_path, "g.txt", "title: سرخی\ndate: 2024-11-14\n\n  \n".encode("utf-8")))
    assert rej.reason == "missing_text" and "header" in rej.detail and rej.data


# ---------------------------------------------------------------- records

def test_counter_jsonl(counter_dir: Path) -> None:
    path = counter_dir / "docs.jsonl"
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    docs, rej = ingest_paths([path], max_bytes=50_000_000)
    assert rej == [] and len(docs) == len(records)
    for d, r in zip(docs, records):
        assert d.source_path == f"{path.resolve()}#{r['id']}" and d.record_id == r["id"]
        assert d.raw_text == r["text"] and d.title == r["title"] and d.source_name == r["source"]
        assert d.url == r["url"]
        try:
            expected = datetime.fromisoformat(r["date"]).replace(tzinfo=timezone.utc) if r["date"] else None
        except ValueError:  # the corpus has impossible dates such as 2014-09-31: kept as unknown, not guessed
            expected = None
        assert d.published_at == expected
    assert sum(d.published_at is not None for d in docs) > 0.9 * len(docs)


def test_jsonl_bad_line_rejects_only_that_record(tmp_path: Path, seeds_dir: Path) -> None:
    texts = seed_texts(seeds_dir)
    lines = [
        json.dumps({"id": "a", "text": texts[0], "published_at": "2024-11-12T10:30:00+05:00", "language": "ur",
                    "url": "https://example.pk/a"}, ensure_ascii=False),
        '{"id": "b", "text": "unterminated',
        "",
        json.dumps({"text": texts[1], "date": "2024-11-13"}, ensure_ascii=False),
        json.dumps({"id": 7, "title": "no text here"}),
        json.dumps(["not", "an", "object"]),
        json.dumps({"id": "e", "text": "   "}),
    ]
    docs, rej = one(tmp_path, "r.jsonl", "\n".join(lines).encode("utf-8"))
    base = str((tmp_path / "r.jsonl").resolve())
    assert [d.source_path for d in docs] == [f"{base}#a", f"{base}#4"]
    assert docs[0].published_at == datetime(2024, 11, 12, 5, 30, tzinfo=timezone.utc)
    assert docs[0].language == "ur" and docs[0].url == "https://example.pk/a"
    assert docs[1].published_at == datetime(2024, 11, 13, tzinfo=timezone.utc) and docs[1].record_id is None
    got = [(r.source_path.removeprefix(base), r.reason) for r in rej]
    assert got == [("#2", "bad_json"), ("#7", "missing_text"), ("#6", "bad_json"), ("#e", "missing_text")]
    assert "line 2" in rej[0].detail and rej[0].data == lines[1].encode("utf-8")
    assert "'text' is missing" in rej[1].detail and "empty" in rej[3].detail


def test_json_object_and_list(tmp_path: Path, seeds_dir: Path) -> None:
    texts = seed_texts(seeds_dir)
    docs, rej = one(tmp_path, "o.json", json.dumps({"id": "x1", "text": texts[2], "title": "t"}, ensure_ascii=False)
                    .encode("utf-8"))
    assert rej == [] and docs[0].source_path.endswith("o.json#x1") and docs[0].raw_text == texts[2]
    items = [{"text": texts[0]}, {"id": "k", "text": texts[1]}, {"id": "z"}]
    docs, rej = one(tmp_path, "l.json", json.dumps(items, ensure_ascii=False).encode("utf-16"))
    assert [d.source_path.rsplit("#", 1)[1] for d in docs] == ["1", "k"] and docs[0].encoding == "utf_16"
    assert [(r.source_path.rsplit("#", 1)[1], r.reason) for r in rej] == [("z", "missing_text")]
    r = only_rejection(one(tmp_path, "broken.json", b'{"text": "x",'))
    assert r.reason == "bad_json" and "line 1" in r.detail


# ---------------------------------------------------------------- HTML

def _page(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{p}</p>" for p in paragraphs[1:])
    return (
        "<!doctype html><html lang='ur-PK'><head><meta charset='utf-8'><title>site | headline</title>"
        "<link rel='canonical' href='https://news.example.pk/world/123'>"
        "<meta property='article:published_time' content='2024-11-12T10:00:00+05:00'></head><body>"
        "<nav><a href='/'>Home</a> | <a href='/world'>World news menu</a></nav>"
        f"<article><h1>{paragraphs[0]}</h1>{body}</article>"
        "<footer>Copyright notice of the example site, all rights reserved</footer></body></html>"
    )


def test_html_main_text(tmp_path: Path, seeds_dir: Path) -> None:
    paragraphs = [p for p in seed_texts(seeds_dir)[0].splitlines() if p.strip()][:8]
    html = _page(paragraphs)
    docs, rej = one(tmp_path, "a.html", html.encode("utf-8"))
    assert rej == []
    d = docs[0]
    assert d.raw_text == html and d.main_text is not None
    for p in paragraphs[1:]:
        assert p in d.main_text
    assert "Copyright" not in d.main_text and "World news menu" not in d.main_text
    assert d.url == "https://news.example.pk/world/123" and d.language == "ur"
    assert d.published_at == datetime(2024, 11, 12, 5, 0, tzinfo=timezone.utc)
    assert d.title and paragraphs[0] in d.title or d.title == "site | headline"
    # the same page saved in Windows-1256 decodes to the same main text
    legacy = _page([_as_cp1256_urdu(p) for p in paragraphs]).replace("utf-8", "windows-1256")
    docs, rej = one(tmp_path, "b.htm", legacy.encode("cp1256"))
    assert rej == [] and docs[0].encoding == "cp1256"
    assert normalize_text(docs[0].main_text or "") == normalize_text(_as_cp1256_urdu(d.main_text))


def test_html_without_main_text(tmp_path: Path) -> None:
    r = only_rejection(one(tmp_path, "nav.html", b"<html><head><title>x</title><script>var a = 1;</script></head><body><div></div></body></html>"))
    assert r.reason == "missing_text" and "trafilatura" in r.detail


def test_deeply_nested_json_is_quarantined_and_the_rest_lands(tmp_path: Path, seeds_dir: Path) -> None:
    (tmp_path / "deep.json").write_text("[" * 50000 + "]" * 50000, encoding="utf-8")
    good = json.dumps({"text": "اسلام آباد میں اجلاس ہوا۔"}, ensure_ascii=False)
    (tmp_path / "mixed.jsonl").write_text(good + "\n" + "[" * 50000 + "]" * 50000 + "\n", encoding="utf-8")
    docs, rejects = ingest_paths([tmp_path], max_bytes=10_000_000)
    assert len(docs) == 1 and docs[0].raw_text.startswith("اسلام آباد")
    assert sorted((Path(r.source_path).name, r.reason) for r in rejects) == [
        ("deep.json", "json_too_deep"), ("mixed.jsonl#2", "json_too_deep")]


def test_only_regular_files_are_read_fifo_and_device_links_are_quarantined(tmp_path: Path) -> None:
    import os
    os.mkfifo(tmp_path / "pipe.txt")                      # reading it would block for ever
    (tmp_path / "zero.txt").symlink_to("/dev/zero")        # reading it would never end
    (tmp_path / "ok.txt").write_text("کراچی میں بارش ہوئی۔", encoding="utf-8")
    docs, rejects = ingest_paths([tmp_path], max_bytes=1_000_000)
    assert [Path(d.source_path).name for d in docs] == ["ok.txt"]
    got = {Path(r.source_path).name: (r.reason, r.detail) for r in rejects}
    assert got["pipe.txt"] == ("not_a_regular_file", "not a regular file (a FIFO)")
    assert got["zero.txt"] == ("not_a_regular_file", "not a regular file (a character device)")


def test_a_file_of_only_invisible_spaces_is_empty(tmp_path: Path) -> None:
    (tmp_path / "blank.txt").write_text("\u00a0\u200b\u200c \u200f\n\u2009", encoding="utf-8")
    docs, rejects = ingest_paths([tmp_path], max_bytes=1_000_000)
    assert docs == [] and [r.reason for r in rejects] == ["empty"]


def test_utf16_without_bom_and_utf8_cut_mid_character_still_land(tmp_path: Path) -> None:
    text = "اسلام آباد میں اجلاس ہوا۔ Prime Minister spoke."
    (tmp_path / "le.txt").write_bytes(text.encode("utf-16-le"))          # no BOM
    (tmp_path / "be.txt").write_bytes(text.encode("utf-16-be"))
    (tmp_path / "cut.txt").write_bytes(text.encode("utf-8") + "ہ".encode("utf-8")[:1])  # last letter cut in half
    docs, rejects = ingest_paths([tmp_path], max_bytes=1_000_000)
    assert rejects == []
    got = {Path(d.source_path).name: (d.raw_text, d.encoding) for d in docs}
    assert got["le.txt"] == (text, "utf_16_le") and got["be.txt"] == (text, "utf_16_be")
    assert got["cut.txt"] == (text, "utf_8(truncated)")


def test_a_scripts_only_html_page_is_not_an_article(tmp_path: Path) -> None:
    (tmp_path / "home.html").write_text(
        "<html><head><title>Home</title><script>var a=1;</script></head><body><script>go()</script>"
        "<nav><a href='/'>Home</a></nav></body></html>", encoding="utf-8")
    docs, rejects = ingest_paths([tmp_path], max_bytes=1_000_000)
    assert docs == [] and [r.reason for r in rejects] == ["missing_text"]


def test_an_unreadable_folder_is_quarantined_not_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    locked = tmp_path / "locked"
    locked.mkdir()
    (locked / "a.txt").write_text("لاہور میں بارش", encoding="utf-8")
    (tmp_path / "ok.txt").write_text("کراچی میں بارش ہوئی۔", encoding="utf-8")
    real_scandir = os.scandir

    def scandir(path="."):  # root reads every folder, so the permission error is raised here, as a user would get it
        if Path(path) == locked.resolve():
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    docs, rejects = ingest_paths([tmp_path], max_bytes=1_000_000)
    assert [Path(d.source_path).name for d in docs] == ["ok.txt"]
    assert [(Path(r.source_path).name, r.reason, r.detail) for r in rejects] == [
        ("locked", "unreadable", "cannot list folder: Permission denied")]
