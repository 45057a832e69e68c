"""Accuracy of khabar's language identification per language, on real text found on this machine.

Where the text comes from (nothing is shipped with khabar):
- ur: articles of the Urdu corpora in ../shared/data (news_2024_world, counter_dev): news text.
- fa, ar, hi, pa (Gurmukhi), en: the translated messages of the programs installed on this Debian machine
  (/usr/share/locale/<lang>/LC_MESSAGES/*.mo, read with Python's gettext; en = the original English msgids).
- pnb (Punjabi in Shahmukhi): a text file, one sentence per line, given with --shahmukhi (no such text is
  installed; docs/nlp.md says where the measured sentences came from).

Two sizes: a "line" (one message or sentence, at least 25 letters) and a "paragraph" (four in a row, joined),
about the size of a short news item. Each text is identified as it arrives, before cleaning (no letter folding).

    python bench/language_id.py --shahmukhi /tmp/pnb.txt [--per-language 300] [--show-errors]
"""
from __future__ import annotations

import argparse
import gettext
import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tasks.langid import identify_language  # noqa: E402

SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
LOCALE = Path("/usr/share/locale")
CORPORA = ("news_2024_world/articles.jsonl", "counter_dev/docs.jsonl")


def _letters(text: str) -> int:
    return sum(c.isalpha() for c in text)


def catalog_lines(lang: str) -> tuple[list[str], list[str]]:
    """(translations, English originals) of every installed message catalog of ``lang``."""
    out, english = [], []
    for mo in sorted((LOCALE / lang / "LC_MESSAGES").glob("*.mo")):
        if mo.stem.startswith("iso_"):  # lists of names (countries, languages), not running text
            continue
        try:
            with mo.open("rb") as fh:
                cat = gettext.GNUTranslations(fh)._catalog  # noqa: SLF001 (the parsed msgid -> msgstr map)
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        for key, value in cat.items():
            msgid = key[0] if isinstance(key, tuple) else key
            if not msgid or not isinstance(value, str):
                continue
            for text, into in ((value, out), (msgid, english)):
                text = " ".join(text.replace("_", "").replace("%s", "").replace("%d", "").split())
                if _letters(text) >= 25 and "<" not in text:
                    into.append(text)
    return sorted(set(out)), sorted(set(english))


def urdu_lines() -> list[str]:
    lines = []
    for name in CORPORA:
        with (SHARED / "data" / name).open(encoding="utf-8") as fh:
            for row in fh:
                for para in json.loads(row)["text"].replace("\n", "۔").split("۔"):  # sentences
                    if _letters(para) >= 25:
                        lines.append(para.strip())
    return lines


def samples(lines: list[str], n: int, rng: random.Random) -> dict[str, list[str]]:
    lines = lines[:]
    rng.shuffle(lines)
    paragraphs = [" ".join(lines[i:i + 4]) for i in range(0, len(lines) - 3, 4)]
    return {"line": lines[:n], "paragraph": paragraphs[:n]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shahmukhi", type=Path, help="Punjabi (Shahmukhi) sentences, one per line.")
    ap.add_argument("--per-language", type=int, default=300)
    ap.add_argument("--show-errors", action="store_true")
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    source: dict[str, list[str]] = {"ur": urdu_lines()}
    english: list[str] = []
    for lang in ("fa", "ar", "hi", "pa"):
        source[lang], en = catalog_lines(lang)
        english += en
    source["en"] = sorted(set(english))
    if args.shahmukhi:
        source["pnb"] = [ln.strip() for ln in args.shahmukhi.read_text(encoding="utf-8").splitlines()
                         if _letters(ln) >= 25]
    print("| language | texts (line / paragraph) | right: line | right: paragraph | said instead |")
    print("|---|---|---|---|---|")
    for lang, lines in source.items():
        got = samples(lines, args.per_language, rng)
        right, wrong = {}, Counter()
        errors = defaultdict(list)
        for size, texts in got.items():
            answers = [identify_language(t) for t in texts]
            right[size] = sum(a == lang for a in answers) / max(len(texts), 1)
            for t, a in zip(texts, answers):
                if a != lang:
                    wrong[str(a)] += 1
                    errors[size].append((a, t))
        print(f"| {lang} | {len(got['line'])} / {len(got['paragraph'])} | {right['line']:.3f} | "
              f"{right['paragraph']:.3f} | {', '.join(f'{k} {v}' for k, v in wrong.most_common(4)) or '-'} |")
        if args.show_errors:
            for size, errs in errors.items():
                for a, t in errs[:8]:
                    print(f"    {lang} {size} -> {a}: {t[:120]}")


if __name__ == "__main__":
    main()
