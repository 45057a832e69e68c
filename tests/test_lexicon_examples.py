"""Every row of the Urdu event lexicon must trigger its own CAMEO code on its own example sentence.

The examples (khabar/lang/ur/event_lexicon.tsv, column ``example``) are parsed in one Stanza batch with the real
offline models, then tasks.events.find_triggers runs on each one. A row whose example does not trigger its code is
either a bad row (wrong light verb, a longer pattern that shadows it, a verb form missing from discourse.yaml) or
an example the small parser mangles; both must be fixed in the data, not here.
"""
from __future__ import annotations

import pytest

from khabar.config import LANG_DIR
from tasks.events import _attach_mentions, find_triggers, load_lexicon, read_lexicon_rows, sentence_words
from tasks.ids import sha256_text
from tests.test_events import gazetteer_mentions

pytestmark = pytest.mark.slow

ROWS = list(read_lexicon_rows(LANG_DIR / "ur" / "event_lexicon.tsv"))

# Forms a row's own example does not show: other light verbs of the same row (continuing an act with جاری رکھنا /
# جاری ہونا, ہونا for an event that took place, پانا, breaking out with پھوٹ پڑنا) and fused verb forms from
# discourse.yaml verb_forms (کررہے, کیاہے). Each sentence is written for this test; it must trigger its code.
FORM_EXAMPLES = [
    ("فوج نے شدت پسندوں کے خلاف فوجی کارروائی جاری رکھی۔", "190"),
    ("غزہ میں اسرائیلی حملے جاری ہیں۔", "190"),
    ("روس نے یوکرین کے شہروں پر بمباری جاری رکھی۔", "195"),
    ("مظاہرین نے دارالحکومت میں احتجاج جاری رکھا۔", "140"),
    ("دونوں ملکوں کے درمیان مذاکرات جاری ہیں۔", "046"),
    ("حکومت کے خلاف ملک بھر میں مظاہرے پھوٹ پڑے۔", "141"),
    ("طلبہ یونیورسٹی کے باہر مظاہرہ کررہے تھے۔", "141"),
    ("حکومت نے نئی پالیسی کا اعلان کیاہے۔", "010"),
    ("دونوں وزرائے خارجہ کے درمیان گفتگو ہوئی۔", "040"),
    ("اجلاس میں علاقائی صورتحال پر تبادلہ خیال ہوا۔", "040"),
    ("دونوں ممالک میں تجارت بڑھانے پر اتفاق پایا گیا۔", "030"),
    ("چین نے سیلاب کے بعد پاکستان کو مدد دی۔", "070"),
    ("شہر کے مرکزی بازار میں ایک زوردار دھماکہ ہوا۔", "183"),
    ("اپوزیشن کا دھرنا جاری ہے۔", "141"),
    ("پولیس نے واقعے کی تحقیقات جاری رکھیں۔", "090"),
    ("قیدی نے دو محافظوں کو زہر پلا دیا۔", "182"),
    # an act that goes on (جاری رہنا), a call that took place, a visit under way, a round of talks held
    ("فوج نے کہا کہ شدت پسندوں کے خلاف فوجی کارروائی جاری رہے گی۔", "190"),
    ("شہر پر فضائی حملے جاری رہیں گے۔", "195"),
    ("کسانوں کا احتجاج جاری رہا۔", "140"),
    ("دونوں رہنماؤں کے درمیان ٹیلیفونک رابطہ ہوا۔", "041"),
    ("وزیر اعظم چین کے دورے پر روانہ ہو گئے۔", "042"),
    ("دونوں ملکوں کے درمیان مذاکرات کا دور منعقد ہوا۔", "046"),
    ("وزیر اعلیٰ کی زیر صدارت اجلاس منعقد ہوا۔", "040"),
    # light verbs written together with their vector verb (دیدی، بنادیا، لگادی)
    ("کابینہ نے معاہدے کی منظوری دیدی۔", "057"),
    ("حکومت نے درآمدات پر پابندی لگادی۔", "163"),
]

# The more specific row wins over a general one that would give the wrong code for the sense: stressing a point is a
# statement, not an appeal; dismissing an accusation is a denial, not a rejection; a murder is not an assassination.
# (sentence, code it must give, code it must not give)
SENSE_EXAMPLES = [
    ("وزیر خارجہ نے اس بات پر زور دیا کہ مسئلے کا حل بات چیت ہے۔", "010", "020"),
    ("وزارت نے دہشت گردوں کی مدد کا الزام مسترد کر دیا۔", "016", "120"),
    ("ملزم نے اپنے پڑوسی کو قتل کر دیا۔", "182", "186"),
]


def _row_id(e) -> str:
    return f"{e.code}:{'_'.join(e.pattern)}:{'|'.join(lv[-1] for lv in e.light_verbs) or '-'}"


@pytest.fixture(scope="module")
def parsed(stanza_dir):
    """article_id -> (sentences, tokens, mentions) for every example, parsed in one batch."""
    from tasks.nlp import parse_articles

    texts = [(f"lex{i}", e.example) for i, e in enumerate(ROWS)]
    texts += [(f"form{i}", text) for i, (text, _) in enumerate(FORM_EXAMPLES)]
    texts += [(f"sense{i}", text) for i, (text, _, _) in enumerate(SENSE_EXAMPLES)]
    arts = [{"article_id": aid, "text": text, "language": "ur", "content_hash": sha256_text(text)}
            for aid, text in texts]
    out = parse_articles(arts, models_dir=stanza_dir, torch_threads=1)
    assert not out.failures, out.failures
    by: dict[str, tuple[list, list, list]] = {a["article_id"]: ([], [], []) for a in arts}
    for s in out.sentences:
        by[s["article_id"]][0].append(s)
    for t in out.tokens:
        by[t["article_id"]][1].append(t)
    for m in out.mentions:
        by[m["article_id"]][2].append(m)
    return by


def _triggers(text: str, aid: str, parsed, lex):
    sentences, tokens, ner = parsed[aid]
    # NER spans plus the test gazetteer: a destination between nominal and verb ("دورے پر پاکستان پہنچے") must be
    # a mention for the trigger to match, as it is after linking.
    mentions = ner + [m for m in gazetteer_mentions(text, aid, sentences)
                      if not any(m["start_char"] < n["end_char"] and n["start_char"] < m["end_char"] for n in ner)]
    found = []
    for s in sentences:
        si = s["sentence_index"]
        words = sentence_words([t for t in tokens if t["sentence_index"] == si], lex)
        _attach_mentions(words, sorted([m for m in mentions if m["sentence_index"] == si],
                                       key=lambda m: m["start_char"]))
        found += find_triggers(words, lex)
    return found


@pytest.mark.parametrize("i", range(len(ROWS)), ids=[_row_id(e) for e in ROWS])
def test_example_triggers_its_own_code(parsed, i):
    lex = load_lexicon()
    e = ROWS[i]
    found = _triggers(e.example, f"lex{i}", parsed, lex)
    got = {(t.entry.code, " ".join(t.entry.pattern)) for t in found}
    assert any(t.entry.code == e.code for t in found), f"{e.example!r} gave {sorted(got)}"


@pytest.mark.parametrize("i", range(len(FORM_EXAMPLES)), ids=[f"{c}:{t[:24]}" for t, c in FORM_EXAMPLES])
def test_other_forms_trigger_their_code(parsed, i):
    text, code = FORM_EXAMPLES[i]
    found = _triggers(text, f"form{i}", parsed, load_lexicon())
    got = {(t.entry.code, " ".join(t.entry.pattern)) for t in found}
    assert any(t.entry.code == code for t in found), f"{text!r} gave {sorted(got)}"


@pytest.mark.parametrize("i", range(len(SENSE_EXAMPLES)), ids=[f"{c}:{t[:24]}" for t, c, _ in SENSE_EXAMPLES])
def test_specific_sense_wins(parsed, i):
    text, code, not_code = SENSE_EXAMPLES[i]
    found = _triggers(text, f"sense{i}", parsed, load_lexicon())
    got = {t.entry.code for t in found}
    assert code in got and not_code not in got, f"{text!r} gave {sorted(got)}"


def test_every_cameo_root_has_rows():
    roots = {e.code[:2] for e in ROWS}
    assert roots >= {f"{r:02d}" for r in range(1, 21)}
