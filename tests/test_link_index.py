"""The link index's fast paths give what the plain ways gave: normalisation, exact matches, dateline sources.

Why: the index is rebuilt at the first run after any change to the dictionary or the code, and that build was
made cheaper (issue 11, speed) by a shortcut in normalize_for_match and by looking exact names up word by word
instead of with an Aho-Corasick automaton over their letters. These tests hold each shortcut to the plain way.
"""
from __future__ import annotations

import copy
import random
import unicodedata

import pytest

from tasks import link as link_mod
from tasks import normalize as nm


def _plain_normalize(text: str) -> str:
    """normalize_for_match without its shortcut: every step."""
    text = unicodedata.normalize("NFKC", text)
    text = nm._INVISIBLE.sub("", text)
    text = nm.strip_diacritics(unicodedata.normalize("NFD", text))
    text = unicodedata.normalize("NFC", text).translate(nm._LETTER_FOLD)
    text = nm._SPACES.sub(" ", text)
    return " ".join(text.split())


def test_plain_characters_compose_with_nothing():
    plain = [chr(c) for c in range(0x20, 0x800) if nm._PLAIN.fullmatch(chr(c))]
    assert len(plain) > 250 and "ا" in plain and "ی" in plain and "ئ" not in plain and "ي" not in plain
    for a in plain:
        for b in plain:
            assert unicodedata.normalize("NFKC", a + b) == a + b, (a, b)


def test_normalize_shortcut_is_the_plain_way(d):
    names = [n for a in d.actors.values() for t in (a.aliases, a.short) for ns in t.values() for n in ns]
    assert [nm.normalize_for_match(n) for n in names] == [_plain_normalize(n) for n in names]
    rnd = random.Random(11)
    alphabet = [chr(c) for c in range(0x600, 0x700)] + list("ab Z9\t\n\u00a0\u200c\u200d\u2028\x85\u0301ßİ\ufb50\ufe8d")
    for _ in range(5000):
        text = "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 9)))
        assert nm.normalize_for_match(text) == _plain_normalize(text), ascii(text)


def _exact_by_letters(toks, idx):
    """Exact matches as the automaton over letters found them: each name's key " w1 w2 " anywhere in the sentence's
    keys joined with spaces, starting at a token's start and ending at a token's end; by end, the longer first."""
    keys = {}
    for p in idx.patterns:
        keys.setdefault(" " + " ".join(p.parts) + " ", []).append(p.pid)
    out = []
    for sent in sorted({t.sent for t in toks}):
        words = [t for t in toks if t.sent == sent and t.key]
        joined, starts = " ", {}
        for t in words:
            starts[len(joined)] = t
            joined += t.key + " "
        ends = {pos + len(t.key): t for pos, t in starts.items()}
        found = []
        for k, pids in keys.items():
            at = joined.find(k)
            while at >= 0:
                end_pos = at + len(k) - 1
                first, last = starts.get(at + 1), ends.get(end_pos)
                if first is not None and last is not None:
                    found.append((end_pos, -len(k), first.i, last.i + 1, pids))
                at = joined.find(k, at + 1)
        out += [(s, e, pid) for *_, s, e, pids in sorted(found) for pid in pids]
    return out


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_exact_matches_word_by_word_are_the_letters_ones(d, seed):
    idx = link_mod._index(d, "")
    rnd = random.Random(seed)
    words = sorted(idx.longest)[:2000] + sorted({w for k in idx.by_words for w in k[1:]})[:2000]
    for _ in range(30):
        toks = []
        for i in range(rnd.randint(1, 40)):
            r = rnd.random()
            key = (rnd.choice(words) if r < 0.6 else
                   rnd.choice(words) + " " + rnd.choice(words) if r < 0.7 else  # a key of two words
                   " " + rnd.choice(words) if r < 0.75 else
                   rnd.choice(words) + "  " + rnd.choice(words) if r < 0.8 else
                   "" if r < 0.85 else rnd.choice(["و", "کے", "نے", "xyz"]))
            toks.append(link_mod._Tok(i, i // 15, i * 10, i * 10 + 5, key, "NOUN"))
        exact_only = copy.copy(idx)  # no first parts: no fuzzy or confusable candidates, only the exact ones
        exact_only.first_parts, exact_only.first_keys = {}, []
        got = [(c.start, c.end, c.pattern.pid) for c in link_mod._candidates(toks, exact_only)]
        assert got == _exact_by_letters(toks, idx), [t.key for t in toks]


def test_exact_matches_in_the_automatons_order(d):
    """A name inside a longer one ends first: reported first (by end, then the longer first), as the automaton did."""
    idx = link_mod._index(d, "")
    exact_only = copy.copy(idx)
    exact_only.first_parts, exact_only.first_keys = {}, []
    long_names = [k for k in idx.by_words if len(k) >= 3 and (k[1],) in idx.by_words][:50]
    assert long_names
    for k in long_names:
        toks = [link_mod._Tok(i, 0, i * 10, i * 10 + 5, w, "PROPN") for i, w in enumerate(("و", *k, "نے"))]
        got = [(c.start, c.end, c.pattern.pid) for c in link_mod._candidates(toks, exact_only)]
        assert got == _exact_by_letters(toks, idx)
        assert got.index((2, 3, idx.by_words[(k[1],)][0])) < got.index((1, 1 + len(k), idx.by_words[k][0]))


def test_dateline_source_by_words(d):
    app = d.actors[link_mod._index(d, "").patterns[link_mod._index(d, "").by_words[("اے", "پی", "پی")][0]].entity_id]
    assert app.name == "Associated Press of Pakistan"
    assert link_mod.dateline_source({"dateline": "کابل ۔ 10 اگست (اے پی پی)"}, d) == app.entity_id
    assert link_mod.dateline_source({"dateline": "کابل ۔ 10 اگست"}, d) is None


def _aligned_one_by_one(toks, idx, fuzzy_starts):
    """The fuzzy and confusable candidates as _candidates made them before its shortcuts: every first part within
    the cdist cutoff of a marked token's form, then _align for each of that first part's patterns in turn."""
    from rapidfuzz import fuzz
    fold = idx.folder.fold
    out = []
    for sent in sorted({t.sent for t in toks}):
        words = [t for t in toks if t.sent == sent and t.key]
        starts = [(wi, fold(t.key)) for wi, t in enumerate(words) if fold(t.key) in idx.first_parts]
        for wi, t in enumerate(words):
            f = fold(t.key)
            if t.i in fuzzy_starts and t.key not in idx.frequent:
                starts += [(wi, k) for k in idx.first_keys
                           if k != f and fuzz.ratio(f, k) >= link_mod.PART_MIN * 100 - 15]
        for wi, first in starts:
            for pid in idx.first_parts[first]:
                got = link_mod._align(idx.patterns[pid], words, wi, idx.folder, idx.function_words)
                if got is not None:
                    out.append((words[wi].i, words[got[0] - 1].i + 1, pid, got[1], got[2] >= link_mod.FOLDED))
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_aligned_together_as_one_by_one(d, seed):
    """_candidates aligns a first part's patterns along the tree of their parts and skips the close first parts
    (and the children of a node) that cannot reach PART_MIN: the same candidates, in the same order, as _align
    pattern by pattern. Windows: a name's parts, misspelt, cut in two, joined, or followed by other names' parts."""
    idx = link_mod._index(d, "")
    exact_only = copy.copy(idx)
    exact_only.first_parts, exact_only.first_keys = {}, []
    rnd = random.Random(seed)
    parts = sorted({w for p in idx.patterns for w in p.parts})
    firsts = [k for k, v in idx.first_parts.items() if len(v) >= 2] + ["محمد"] * 20
    n = 0
    for _ in range(150):
        ws = list(idx.patterns[rnd.choice(idx.first_parts[rnd.choice(firsts)])].parts)
        k = rnd.randrange(len(ws))
        r, w = rnd.random(), ws[k]
        if r < 0.3 and len(w) > 3:  # a letter dropped or another put in
            i = rnd.randrange(len(w))
            ws[k] = w[:i] + w[i + 1:] if rnd.random() < 0.5 else w[:i] + rnd.choice("اویہ") + w[i:]
        elif r < 0.5 and len(w) > 3:  # cut in two tokens
            i = rnd.randrange(1, len(w))
            ws[k:k + 1] = [w[:i], w[i:]]
        elif r < 0.6 and k + 1 < len(ws):  # two parts joined
            ws[k:k + 2] = [ws[k] + ws[k + 1]]
        elif r < 0.8:
            ws = ws[:k + 1] + [rnd.choice(parts) for _ in range(rnd.randint(1, 3))]
        ws += [rnd.choice(parts + ["و", "کے", "نے"]) for _ in range(rnd.randint(0, 2))]
        toks, pos = [], 0
        for i, w in enumerate(ws):
            toks.append(link_mod._Tok(i, 0, pos, pos + len(w), w, "PROPN"))
            pos += len(w) + rnd.choice([1, 1, 1, 0, 2])
        fuzzy = {t.i for t in toks if rnd.random() < 0.7}
        got = [(c.start, c.end, c.pattern.pid, c.score, c.strong) for c in link_mod._candidates(toks, idx, fuzzy)]
        exact = link_mod._candidates(toks, exact_only)  # one sentence: the exact matches come first
        assert got[:len(exact)] == [(c.start, c.end, c.pattern.pid, 1.0, True) for c in exact]
        want = _aligned_one_by_one(toks, idx, fuzzy)
        assert got[len(exact):] == want, ws
        n += len(want)
    assert n > 150
