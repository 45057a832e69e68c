"""CAMEO event coding from parsed Urdu sentences and linked entity mentions.

How a sentence becomes events (details and decisions in docs/events.md):
1. Triggers. Urdu states most events with a light-verb construction (nominal + کرنا/دینا/لینا/ہونا/بنانا …:
   ملاقات کی, دعوت دی, تنقید کا نشانہ بنایا). We find every verb form of a light verb and match the words right
   before it against the lexicon (khabar/lang/ur/event_lexicon.tsv), keyed on the NOMINAL, comparing the token's
   text or lemma after normalisation. The longest pattern wins; "ملاقات اور بات چیت کی" yields both nominals.
   The dependency parse adds confidence when the nominal hangs on the verb (compound/obj), but a wrong attachment
   never loses a trigger: the small parser gets only ~54% of nsubj/obj right.
2. Actors (argument frames). Actor1 is the ergative subject (X نے) of the trigger's clause, else an agent phrase
   (کی جانب سے، کے ذریعے … also in passives); an agent phrase beside an ergative belongs to a nominal of the object
   and becomes Actor2 ("X نے Y کی جانب سے حملے کی مذمت کی": X -> Y). Actor2 is the nearest mention carrying one of the
   trigger's case markers (کو, سے, کے ساتھ, کے خلاف, پر), else a genitive (X کی حمایت). Markers are read next to the
   mention, not from the parse. A title before the marker ("جاپان کے وزیر خارجہ نے") stands for the country's
   government. Coordinated mentions give one event each. Relative clauses (، جس نے … ،) are hidden from the main verb
   and their relative pronoun is the noun before them; participle clauses (… کرتے ہوئے) share the main subject.
3. Pronouns (انہوں نے، ان کا کہنا، ہم inside X's report) resolve to the most recent compatible subject of the article
   (actor1_method says how Actor1 was found; resolved pronouns lower the confidence). Verbless headlines give
   events ("X کی Y پر تنقید"). "X کے مطابق" and "X نے بتایا کہ …" make X the source of the events they report
   (source_entity_id), never Actor1.
4. Negation (is_negated) and modality (MODALITIES: asserted, future, intended, possible, conditional, alleged) come
   from the verb group, the clause and the sentence (اگر … تو، مبینہ، an accusation's کہ-clause). Every event is
   KEPT so the evidence is inspectable; the warehouse views (event_summary, dyads) count asserted, non-negated
   events only, and so must any count of what happened.
5. Dates: tasks.dates, nearest expression in the clause, then the sentence, then the article reference date.
"""
from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterable


from khabar.config import LANG_DIR
from tasks import dates as dates_mod
from tasks.cameo import CameoCode, load_cameo, lookup
from tasks.ids import stable_id
from tasks.joined import load_fused, split_token
from tasks.normalize import normalize_for_match
from tasks.yamlload import load_yaml

# events.modality: asserted (it happened / it was said), future (کرے گا), intended (promised: "حملہ نہ کرنے کا عہد"),
# possible (کر سکتا، ممکنہ، … چاہیے), conditional (اگر … تو، کی صورت میں), alleged (مبینہ; an accusation's content).
# Negation is the separate column is_negated. Default views count asserted, non-negated events only.
MODALITIES = ("asserted", "future", "intended", "possible", "conditional", "alleged")
LEXICON_COLUMNS = ("pattern", "light_verbs", "cameo_code", "actor2_case", "symmetric", "needs_actor2", "example")
_QUOTES = "’‘“”\"'«»()[]{}"
_PUNCT_WORDS = {"۔", "،", ",", ".", ":", ";", "؛", "؟", "?", "!", "-", "—"}


@lru_cache(maxsize=65536)  # words repeat across sentences and articles: normalising is a hot path
def norm(word: str | None) -> str:
    """Matching form of one word: quotes stripped (the tokenizer glues them to words), normalize_for_match."""
    if not word:
        return ""
    stripped = word.strip(_QUOTES)
    return normalize_for_match(stripped) if stripped else normalize_for_match(word)


def _words(s: str) -> tuple[str, ...]:
    return tuple(norm(w) for w in s.split() if norm(w))


# ---------------------------------------------------------------------------------------------- lexicon


@dataclass(frozen=True)
class LexEntry:
    pattern: tuple[str, ...]
    light_verbs: tuple[tuple[str, ...], ...]  # each: (words between nominal and verb …, verb lemma); () = simple verb
    code: str
    actor2_case: tuple[tuple[str, ...], ...]
    symmetric: bool
    needs_actor2: bool
    example: str


@dataclass(frozen=True)
class Title:
    words: tuple[str, ...]
    predicate: str
    role: str


@dataclass(frozen=True, eq=False)
class Lexicon:
    entries: tuple[LexEntry, ...]
    form_lemmas: dict[str, frozenset[str]]  # surface form -> lemmas it can inflect
    particles: frozenset[str]
    verb_tail: frozenset[str]
    passive: frozenset[str]
    negation: frozenset[str]
    neither_nor: tuple[tuple[str, ...], ...]
    modality: dict[str, frozenset[str]]
    intent_heads: frozenset[str]
    alleged_heads: frozenset[str]
    purpose_heads: frozenset[str]
    need_heads: frozenset[str]
    possible_words: frozenset[str]
    alleged_words: frozenset[str]
    alleging_nominals: frozenset[str]
    claim_nominals: frozenset[str]
    statement_nominals: frozenset[str]
    statement_fillers: frozenset[str]
    held_words: frozenset[str]
    round_nouns: frozenset[str]
    adjunct_ends: frozenset[str]
    adjunct_verbs: frozenset[str]
    conditional: tuple[tuple[str, ...], ...]
    conditional_ends: frozenset[str]
    pron_first: frozenset[str]
    pron_person: frozenset[str]
    pron_any: frozenset[str]
    pron_relative: frozenset[str]
    both_words: frozenset[str]
    both_nouns: frozenset[str]
    both_country_nouns: frozenset[str]  # "دونوں ممالک": the pair's countries, whoever of them was named
    participle_markers: frozenset[str]
    participle_endings: tuple[str, ...]
    participle_adjectival: frozenset[str]
    nominal_heads: frozenset[str]
    genitive_non_actor: frozenset[str]
    according_to: tuple[tuple[str, ...], ...]
    reporting_verbs: frozenset[str]
    reporting_nominals: frozenset[str]
    complementizers: frozenset[str]
    agent_markers: tuple[tuple[str, ...], ...]
    patient_markers: tuple[tuple[str, ...], ...]
    genitive: frozenset[str]
    between_markers: tuple[tuple[str, ...], ...]
    coordinators: frozenset[str]
    conjunctions: frozenset[str]  # the coordinators that are words (اور): derived
    list_commas: frozenset[str]  # the coordinators that are punctuation (،): derived
    ergative: str
    locative: str
    copula_forms: frozenset[str]  # every surface form of the copula: derived from verb_forms
    reporting_light_verb: str
    verb_group_light_verbs: frozenset[str]
    goal_markers: frozenset[str]
    infinitive_endings: tuple[str, ...]
    target_markers: tuple[tuple[str, ...], ...]
    including: frozenset[str]
    reflexive: frozenset[str]  # "اپنی ٹیموں کی تعریف": the subject's own
    fellows: frozenset[str]  # "7 ساتھیوں کو زہر پلا دی": the subject's fellows
    kin: frozenset[str]  # "اپنی اہلیہ": family, never the subject's side
    adverbial_consult: tuple[tuple[str, ...], ...]
    adverbial_violent: tuple[tuple[str, ...], ...]
    adverbial_states: frozenset[tuple[str, ...]]
    adverbial_victims: frozenset[str]
    on_request: dict[str, str]  # "X کی درخواست پر …": the noun -> CAMEO code of X's request to the act's Actor1
    on_request_marker: tuple[str, ...]
    repression: dict[str, Any]  # discourse.yaml repression: police force on civilians is 175
    want_forms: frozenset[str]  # "X چاہتا ہے کہ Y …": X's appeal to Y
    purpose_carriers: frozenset[str]  # "… کےلئے اقدامات کئے": steps taken for a purpose
    display_nominals: frozenset[str]  # "اپنی مہارت کا مظاہرہ": after a genitive these show, they are no event
    should: frozenset[str]  # "… ہونے چاہییں": in a report, the speaker's appeal
    goal_markers_first: str  # the first goal marker (کو): the addressee of "X کو … چاہیے"
    oblique_plural: str  # "حملوں، دھماکوں": the ending of a masculine noun's oblique plural
    plural_stems: tuple[str, ...]  # endings that stem takes in the lexicon's patterns (دھماکے، دھماکہ)
    clause_breaks: frozenset[str]
    titles: tuple[Title, ...]
    title_modifiers: dict[str, frozenset[str]]
    demonyms: dict[tuple[str, ...], str]
    relation_patterns: tuple[dict, ...]
    by_verb: dict[str, tuple[LexEntry, ...]] = field(default_factory=dict)
    by_nominal: dict[str, tuple[LexEntry, ...]] = field(default_factory=dict)  # light-verb entries by first word
    pattern_ends: frozenset[str] = frozenset()  # last words of the patterns: derived
    after_genitive: frozenset[tuple[str, str]] = frozenset()  # (genitive, word) in a pattern ("کا اظہار"): derived
    pattern_words: frozenset[str] = frozenset()  # every word of every pattern: derived
    speech_acts: dict[str, Any] = field(default_factory=dict)  # discourse.yaml speech_acts (optional): _speech_acts
    attendance: frozenset[str] = frozenset()  # "جس میں X نے شرکت کی": who attended a meeting met its chair
    pron_our: frozenset[str] = frozenset()  # "ہماری ضروریات": in a report, the speaker's country
    pron_my: frozenset[str] = frozenset()  # "میری مدد کی": in a report, the speaker
    occasions: tuple[tuple[str, ...], ...] = ()  # "اس موقع پر", "ملاقات میں": the occasion just told
    property: frozenset[str] = frozenset()  # "X نے دو مکانات مسمار کر دیے": homes hit are their owners'
    property_owners: str = ""  # the sector of those owners (CVL)
    adverbial_by: tuple[tuple[str, ...], ...] = ()  # "اسرائیلی بمباری سے … شہید": an attack by which …
    adverbial_by_results: frozenset[str] = frozenset()  # … people were killed or buildings destroyed
    place_target_markers: tuple[tuple[str, ...], ...] = ()  # "X نے لبنان کے دارالحکومت کے علاقے کو نشانہ بنایا"
    refusal_heads: frozenset[str] = frozenset()  # "… کرنے سے انکار کیا": the infinitive's act is refused (negated)
    prevention_heads: frozenset[str] = frozenset()  # "… فروخت کرنے سے روکنے": the act is prevented (no event)

    def lemmas_of(self, word: "Word") -> set[str]:
        out = set(self.form_lemmas.get(word.norm, ()))
        out |= set(self.form_lemmas.get(word.lemma, ()))
        if word.lemma in self.by_verb:
            out.add(word.lemma)
        return out


class LexiconError(ValueError):
    pass


def load_lexicon(lang: str = "ur", lang_dir: Path | None = None) -> Lexicon:
    """Event lexicon + discourse cues + role titles for ``lang``, validated (raises LexiconError)."""
    return _load_lexicon((lang_dir or LANG_DIR) / lang)


def _norm_set(words: Iterable[str]) -> frozenset[str]:
    """The matching forms of a data file's word list."""
    return frozenset(map(norm, words))


@lru_cache(maxsize=4)
def _load_lexicon(folder: Path) -> Lexicon:
    disc = load_yaml(folder / "discourse.yaml")
    rel = load_yaml(folder / "relation_patterns.yaml")
    validate_discourse(disc, folder / "discourse.yaml")
    cameo = load_cameo()
    entries = list(read_lexicon_rows(folder / "event_lexicon.tsv", cameo))
    patient = tuple(_words(m) for m in disc["patient_markers"])
    form_lemmas: dict[str, set[str]] = {}
    for lemma, forms in disc["verb_forms"].items():
        for f in [lemma, *forms]:
            form_lemmas.setdefault(norm(f), set()).add(norm(lemma))
    hostile = {_words(m) for m in disc.get("hostile_markers") or []}
    friendly = tuple(m for m in patient if m not in hostile)

    def default_for(code: str) -> tuple[tuple[str, ...], ...]:
        return friendly if lookup(code, cameo).quad_class <= 2 else patient

    entries = [LexEntry(e.pattern, e.light_verbs, e.code,
                        tuple(m for group in e.actor2_case
                              for m in (default_for(e.code) if group == ("default",) else (group,))),
                        e.symmetric, e.needs_actor2, e.example) for e in entries]
    by_verb: dict[str, list[LexEntry]] = {}
    for e in entries:
        verbs = [lv[-1] for lv in e.light_verbs] if e.light_verbs else [e.pattern[-1]]
        for v in verbs:
            if v not in form_lemmas:
                raise LexiconError(f"verb {v!r} of pattern {' '.join(e.pattern)!r} has no verb_forms entry")
            by_verb.setdefault(v, []).append(e)
    mod = disc["modality"]
    roles = disc["roles"]
    coordinators = [norm(c) or c for c in disc["coordinators"]]
    lex = Lexicon(
        entries=tuple(entries),
        form_lemmas={k: frozenset(v) for k, v in form_lemmas.items()},
        particles=_norm_set(disc["particles"]),
        verb_tail=_norm_set(disc["verb_tail"]),
        passive=_norm_set(disc["passive"]),
        negation=_norm_set(disc["negation"]),
        neither_nor=tuple(_words(p) for p in disc["neither_nor"]),
        modality={"future": _norm_set(mod["future"]), "possible": _norm_set(mod["possible"])},
        intent_heads=_norm_set(mod["intent_heads"]),
        alleged_heads=_norm_set(mod["alleged_heads"]),
        purpose_heads=_norm_set(mod["purpose_heads"]),
        need_heads=_norm_set(mod["need_heads"]),
        possible_words=_norm_set(mod["possible_words"]),
        alleged_words=_norm_set(mod["alleged_words"]),
        alleging_nominals=_norm_set(mod["alleging_nominals"]),
        claim_nominals=_norm_set(disc["reported_speech"]["claim_nominals"]),
        statement_nominals=_norm_set(disc["reported_speech"]["statement_nominals"]),
        statement_fillers=_norm_set(disc["reported_speech"]["statement_fillers"]),
        held_words=_norm_set(disc["nominal_to_verb"]["held"]),
        round_nouns=_norm_set(disc["nominal_to_verb"]["round_nouns"]),
        adjunct_ends=_norm_set(disc["nominal_to_verb"]["adjunct_ends"]),
        adjunct_verbs=_norm_set(disc["nominal_to_verb"]["adjunct_verbs"]),
        conditional=tuple(_words(p) for p in mod["conditional"]),
        conditional_ends=frozenset(norm(c) or c for c in mod["conditional_ends"]),
        pron_first=_norm_set(disc["pronouns"]["first_person"]),
        pron_person=_norm_set(disc["pronouns"]["person"]),
        pron_any=_norm_set(disc["pronouns"]["any"]),
        pron_relative=_norm_set(disc["pronouns"]["relative"]),
        both_words=_norm_set(disc["pronouns"]["both"]),
        both_nouns=_norm_set(disc["pronouns"]["both_nouns"]),
        both_country_nouns=_norm_set(disc["pronouns"]["both_country_nouns"]),
        participle_markers=_norm_set(disc["participle"]["markers"]),
        participle_endings=tuple(map(norm, disc["participle"]["endings"])),
        participle_adjectival=_norm_set(disc["participle"]["adjectival"]),
        nominal_heads=frozenset(e.pattern[0] for e in entries if e.light_verbs),
        genitive_non_actor=_norm_set(disc["genitive_non_actor"]),
        according_to=tuple(_words(p) for p in disc["reported_speech"]["according_to"]),
        reporting_verbs=_norm_set(disc["reported_speech"]["reporting_verbs"]),
        reporting_nominals=_norm_set(disc["reported_speech"]["reporting_nominals"]),
        complementizers=_norm_set(disc["reported_speech"]["complementizers"]),
        agent_markers=tuple(_words(m) for m in disc["agent_markers"]),
        patient_markers=patient,
        genitive=_norm_set(disc["genitive_markers"]),
        between_markers=tuple(_words(m) for m in disc["between_markers"]),
        coordinators=frozenset(coordinators),
        conjunctions=frozenset(c for c in coordinators if any(ch.isalpha() for ch in c)),
        list_commas=frozenset(c for c in coordinators if not any(ch.isalpha() for ch in c)),
        ergative=norm(roles["ergative"]),
        locative=norm(roles["locative"]),
        copula_forms=frozenset(f for f, ls in form_lemmas.items() if norm(roles["copula"]) in ls),
        reporting_light_verb=norm(roles["reporting_light_verb"]),
        verb_group_light_verbs=_norm_set(roles["verb_group_light_verbs"]),
        goal_markers=_norm_set(roles["goal_markers"]),
        infinitive_endings=tuple(map(norm, roles["infinitive_endings"])),
        target_markers=tuple(_words(m) for m in roles["target_markers"]),
        including=_norm_set(roles["including"]),
        reflexive=_norm_set(roles["reflexive"]),
        fellows=_norm_set(roles["fellows"]),
        kin=_norm_set(roles["kin"]),
        adverbial_consult=tuple(_words(m) for m in disc["adverbial_heads"]["consult"]),
        adverbial_violent=tuple(_words(m) for m in disc["adverbial_heads"]["violent"]),
        adverbial_states=frozenset(_words(m) for m in disc["adverbial_heads"]["states"]),
        adverbial_victims=_norm_set(disc["adverbial_heads"]["victims"]),
        adverbial_by=tuple(_words(m) for m in disc["adverbial_heads"]["by"]),
        adverbial_by_results=_norm_set(disc["adverbial_heads"]["by_results"]),
        on_request={norm(k): str(v) for k, v in disc["on_request"]["nouns"].items()},
        on_request_marker=_words(disc["on_request"]["marker"]),
        repression={"codes": frozenset(map(str, disc["repression"]["codes"])), "to": str(disc["repression"]["to"]),
                    "by": frozenset(disc["repression"]["by_sectors"]),
                    "on": frozenset(disc["repression"]["on_sectors"]),
                    "not_after": _norm_set(disc["repression"]["not_after"])},
        should=_norm_set(mod["should"]),
        display_nominals=_norm_set(roles["display_nominals"]),
        purpose_carriers=_norm_set(mod["purpose_carriers"]),
        want_forms=_norm_set(mod["want_forms"]),
        goal_markers_first=norm(roles["goal_markers"][0]),
        oblique_plural=norm(disc["noun_plural"]["oblique_ending"]),
        plural_stems=tuple(norm(e) for e in disc["noun_plural"]["stem_endings"]),
        clause_breaks=frozenset(norm(c) or c for c in disc["clause_breaks"]),
        titles=tuple(sorted((Title(_words(" ".join(t["words"])), t["predicate"], t["role"]) for t in rel["titles"]),
                            key=lambda t: -len(t.words))),
        title_modifiers={k: _norm_set(v) for k, v in rel["title_modifiers"].items()},
        demonyms={_words(k): v for k, v in rel["demonyms"].items()},
        relation_patterns=tuple(rel["patterns"]),
        by_verb={k: tuple(sorted(v, key=lambda e: -len(e.pattern))) for k, v in by_verb.items()},
        by_nominal=_by_nominal(entries),
        pattern_ends=frozenset(e.pattern[-1] for e in entries),
        after_genitive=_after_genitive(entries, disc, patient),
        pattern_words=frozenset(w for e in entries for w in e.pattern),
        speech_acts=_speech_acts(disc.get("speech_acts"), folder / "discourse.yaml"),
        attendance=_norm_set(roles["attendance"]),
        pron_our=_norm_set(disc["pronouns"]["our"]),
        pron_my=_norm_set(disc["pronouns"]["my"]),
        occasions=tuple(_words(o) for o in disc["pronouns"]["occasions"]),
        property=_norm_set(roles["property"]),
        property_owners=str(roles["property_owners"]),
        place_target_markers=tuple(_words(m) for m in roles["place_target_markers"]),
        refusal_heads=_norm_set(mod["refusal_heads"]),
        prevention_heads=_norm_set(mod["prevention_heads"]),
    )
    for v in lex.reporting_verbs:
        if v not in lex.form_lemmas:
            raise LexiconError(f"reporting verb {v!r} has no verb_forms entry")
    return lex


def _after_genitive(entries: list[LexEntry], disc: dict, patient: tuple) -> frozenset[tuple[str, str]]:
    """(genitive, word) pairs of the lexicon's patterns ("تشویش کا اظہار": "کااظہار" may be written together), but not
    a case marker written together ("کیخلاف" is کے خلاف, not "کی خلاف ورزی")."""
    genitive = {norm(g) for g in disc["genitive_markers"]}
    markers = set(patient) | {_words(m) for m in disc["agent_markers"]}
    pairs = {(e.pattern[k], e.pattern[k + 1]) for e in entries for k in range(len(e.pattern) - 1)
             if e.pattern[k] in genitive}
    return frozenset((g, w) for g, w in pairs if not any((g2, w) in markers for g2 in genitive))


def _by_nominal(entries: list[LexEntry]) -> dict[str, tuple[LexEntry, ...]]:
    out: dict[str, list[LexEntry]] = {}
    seen: set[tuple[str, ...]] = set()
    for e in entries:
        if e.light_verbs and e.pattern not in seen:
            seen.add(e.pattern)
            out.setdefault(e.pattern[0], []).append(e)
    return {k: tuple(sorted(v, key=lambda e: -len(e.pattern))) for k, v in out.items()}


DISCOURSE_KEYS = {
    "verb_forms": dict, "particles": list, "verb_tail": list, "passive": list, "negation": list, "neither_nor": list,
    "modality": dict, "reported_speech": dict, "agent_markers": list, "patient_markers": list,
    "genitive_markers": list, "genitive_non_actor": list, "between_markers": list, "coordinators": list,
    "clause_breaks": list, "roles": dict, "pronouns": dict, "participle": dict, "adverbial_heads": dict,
    "nominal_to_verb": dict, "on_request": dict, "noun_plural": dict, "repression": dict,
}
ROLE_KEYS = {"ergative", "locative", "copula", "reporting_light_verb", "verb_group_light_verbs", "goal_markers",
             "infinitive_endings", "target_markers", "including", "reflexive", "fellows",
             "kin", "display_nominals", "attendance", "property", "property_owners", "place_target_markers"}
MODALITY_KEYS = {"future", "possible", "intent_heads", "possible_words", "alleged_heads", "alleged_words",
                 "alleging_nominals", "purpose_heads", "need_heads", "refusal_heads", "prevention_heads", "conditional", "conditional_ends", "should",
                 "purpose_carriers", "want_forms"}
PRONOUN_KEYS = {"first_person", "person", "any", "relative", "both", "both_nouns", "both_country_nouns", "our", "my",
                "occasions"}
REPORTED_KEYS = {"according_to", "reporting_verbs", "reporting_nominals", "complementizers", "claim_nominals",
                 "statement_nominals", "statement_fillers"}


def validate_discourse(data: Any, where: Path | str = "discourse.yaml") -> None:
    """Raise LexiconError unless discourse.yaml has every section with the right shape and no empty word."""
    if not isinstance(data, dict):
        raise LexiconError(f"{where}: not a mapping")
    for key, typ in DISCOURSE_KEYS.items():
        if not isinstance(data.get(key), typ) or not data[key]:
            raise LexiconError(f"{where}: '{key}' must be a non-empty {typ.__name__}")
    if set(data["modality"]) != MODALITY_KEYS:
        raise LexiconError(f"{where}: modality needs exactly {sorted(MODALITY_KEYS)}")
    if set(data["roles"]) != ROLE_KEYS:
        raise LexiconError(f"{where}: roles needs exactly {sorted(ROLE_KEYS)}")
    if set(data["reported_speech"]) != REPORTED_KEYS:
        raise LexiconError(f"{where}: reported_speech needs exactly {sorted(REPORTED_KEYS)}")
    if set(data["pronouns"]) != PRONOUN_KEYS:
        raise LexiconError(f"{where}: pronouns needs exactly {sorted(PRONOUN_KEYS)}")
    if set(data["participle"]) != {"markers", "endings", "adjectival"}:
        raise LexiconError(f"{where}: participle needs exactly ['adjectival', 'endings', 'markers']")
    if set(data["adverbial_heads"]) != {"consult", "violent", "states", "victims", "by", "by_results"}:
        raise LexiconError(f"{where}: adverbial_heads needs exactly ['by', 'by_results', 'consult', 'states', "
                           "'victims', 'violent']")
    if set(data["nominal_to_verb"]) != {"held", "round_nouns", "adjunct_ends", "adjunct_verbs"}:
        raise LexiconError(f"{where}: nominal_to_verb needs exactly ['adjunct_ends', 'adjunct_verbs', 'held', "
                           "'round_nouns']")
    req = data["on_request"]
    code_like = re.compile(r"\d{3,4}")
    if set(req) != {"marker", "nouns"} or not isinstance(req["marker"], str) or not req["marker"].strip() or \
            not isinstance(req["nouns"], dict) or not req["nouns"] or \
            not all(isinstance(k, str) and k.strip() and code_like.fullmatch(str(v)) for k, v in req["nouns"].items()):
        raise LexiconError(f"{where}: on_request needs 'marker' (a word) and 'nouns' (word -> CAMEO code)")
    rep = data["repression"]
    if set(rep) != {"codes", "to", "by_sectors", "on_sectors", "not_after"} or not all(
            isinstance(rep[k], list) and rep[k] for k in ("codes", "by_sectors", "on_sectors", "not_after")) or \
            not code_like.fullmatch(str(rep["to"])) or not all(code_like.fullmatch(str(c)) for c in rep["codes"]):
        raise LexiconError(f"{where}: repression needs codes, to (CAMEO codes), by_sectors, on_sectors, not_after")
    plural = data["noun_plural"]
    if set(plural) != {"oblique_ending", "stem_endings"} or not isinstance(plural["oblique_ending"], str) or \
            not plural["oblique_ending"].strip() or not isinstance(plural["stem_endings"], list) or \
            not plural["stem_endings"] or not all(isinstance(e, str) and e.strip() for e in plural["stem_endings"]):
        raise LexiconError(f"{where}: noun_plural needs 'oblique_ending' (a suffix) and 'stem_endings' (suffixes)")
    for section in ("modality", "reported_speech", "pronouns", "participle", "adverbial_heads", "nominal_to_verb"):
        for key, words in data[section].items():
            if not isinstance(words, list) or not words or not all(isinstance(w, str) and w.strip() for w in words):
                raise LexiconError(f"{where}: {section}.{key} must be a non-empty list of words")
    for lemma, forms in data["verb_forms"].items():
        if not forms or not all(isinstance(f, str) and f.strip() for f in forms):
            raise LexiconError(f"{where}: verb_forms[{lemma!r}] has an empty form")


def read_lexicon_rows(path: Path, cameo: dict[str, CameoCode] | None = None) -> Iterable[LexEntry]:
    """Parse and validate event_lexicon.tsv (comment lines start with #)."""
    cameo = cameo or load_cameo()
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [ln for ln in fh if ln.strip() and not ln.startswith("#")]
    reader = csv.DictReader(lines, delimiter="\t")
    if tuple(reader.fieldnames or ()) != LEXICON_COLUMNS:
        raise LexiconError(f"{path}: columns must be {LEXICON_COLUMNS}, got {reader.fieldnames}")
    seen: set[tuple] = set()
    for n, row in enumerate(reader, start=2):
        where = f"{path.name} row {n}"
        if any(row.get(c) in (None, "") for c in LEXICON_COLUMNS):
            raise LexiconError(f"{where}: empty column")
        pattern = _words(row["pattern"])
        code = row["cameo_code"].strip()
        try:
            lookup(code, cameo)
        except KeyError as exc:
            raise LexiconError(f"{where}: {exc}") from None
        lvs = () if row["light_verbs"].strip() == "-" else tuple(_words(v) for v in row["light_verbs"].split("|"))
        for flag in ("symmetric", "needs_actor2"):
            if row[flag] not in ("yes", "no"):
                raise LexiconError(f"{where}: {flag} must be yes or no")
        key = (pattern, lvs)
        if key in seen:
            raise LexiconError(f"{where}: duplicate pattern {row['pattern']!r}")
        seen.add(key)
        # a light-verb row's nominal must appear in its example (simple verbs appear inflected)
        if lvs and pattern[0] not in normalize_for_match(row["example"]):
            raise LexiconError(f"{where}: example does not contain the pattern")
        yield LexEntry(pattern, lvs, code, tuple(_words(m) for m in row["actor2_case"].split("|")),
                       row["symmetric"] == "yes", row["needs_actor2"] == "yes", row["example"].strip())


# ---------------------------------------------------------------------------------------------- sentence view


@dataclass
class Word:
    i: int  # position in the sentence's word list (0-based)
    text: str
    norm: str
    lemma: str
    upos: str
    deprel: str
    head: int  # UD head id (token_index), 0 = root
    token_index: int
    start: int
    end: int
    mention: int | None = None  # index into the sentence's linked mentions
    rel: int | None = None  # first word of the relative clause ("، جس نے … تھا،") this word belongs to


@dataclass
class Actor:
    entity_id: str
    actor_code: str | None
    country_code: str | None
    method: str  # how it was found: ACTOR1_METHODS for actor1; case:<marker> | genitive | destination … for actor2
    both: bool = False  # one of "دونوں ممالک / اطراف" (both countries, sides): the pair named together before


UNKNOWN_AGENT = Actor("", None, None, "unlinked")  # an agent is marked but not linked: blocks fallbacks
OWN = Actor("", None, None, "reflexive")  # Actor2 is Actor1's own ("اپنی ٹیموں کی تعریف"): filled in from Actor1
# Acts whose target may be the doer's own people: praise, criticism, coercion, violence ("اپنے ساتھیوں کو زہر پلا دی",
# "اپنے اہلکاروں کے خلاف فرد جرم"); not a recall of one's own envoy or a return home
REFLEXIVE_ROOTS = ("05", "11", "17", "18", "19")


def sentence_words(tokens: list[dict], lex: Lexicon) -> list[Word]:
    """Tokens of one sentence as Words; fused nominal+verb tokens (اظہارکیا) are split at the verb form."""
    out: list[Word] = []
    nominals = lex.pattern_ends
    after_genitive = lex.after_genitive
    gen_first = {g for g, _ in after_genitive}
    gen_first = {g[:1] for g in gen_first}
    for t in sorted(tokens, key=lambda r: r["token_index"]):
        text, start = t["text"], t.get("start_char")
        if not text.strip(_QUOTES):
            continue  # a bare quotation mark: carries nothing and would split "بات چیت ‘ کی"
        start = 0 if start is None else int(start)
        end = int(t["end_char"]) if t.get("end_char") is not None else start + len(text)
        if len(text) > 1 and text[0] in _PUNCT_WORDS and (text[0] in lex.clause_breaks or text[0] in lex.list_commas):
            # "۔ہم", "،متعدد": a full stop or a comma written together with the next word
            out.append(Word(len(out), text[0], text[0], text[0], upos="PUNCT", deprel="punct", head=0,
                            token_index=int(t["token_index"]), start=start, end=start + 1))
            start += 1
            text = text[1:]
            t = {**t, "lemma": None}
        n = norm(text)
        pieces = split_token(n, load_fused()) if n else []
        if len(pieces) > 1:
            # "کیخلاف", "کیساتھ": postpositions written joined (khabar/lang/<lang>/joined_words.yaml), read apart
            same_len = len(n) == len(text)
            for ps, pe, word in pieces:
                a, b = (start + ps, start + pe) if same_len else (start, end)
                out.append(Word(len(out), text[ps:pe] if same_len else text, word, word, upos="ADP", deprel="case",
                                head=int(t.get("head") or 0), token_index=int(t["token_index"]), start=a, end=b))
            continue
        split = None
        erg = len(lex.ergative)
        if len(n) > erg + 1 and n.startswith(lex.ergative) and norm(text[:erg]) == lex.ergative:
            # "نےکہا", "فوج نےکمال عدوان": the ergative written together with the next word
            common = dict(deprel="case", head=int(t.get("head") or 0), token_index=int(t["token_index"]))
            out.append(Word(len(out), text[:erg], lex.ergative, lex.ergative, start=start, end=start + erg,
                            upos="ADP", **common))
            start += erg
            text = text[erg:]
            t = {**t, "lemma": None}
            n = norm(text)
        gen = None if n[:1] not in gen_first else next(
            (g for g in lex.genitive if len(n) > len(g) + 1 and n.startswith(g)
             and (g, norm(text[len(g):])) in after_genitive), None)
        if gen is not None and norm(text[:len(gen)]) == gen:
            # "کااظہار": a genitive written together with the nominal after it
            common = dict(deprel="case", head=int(t.get("head") or 0), token_index=int(t["token_index"]))
            out.append(Word(len(out), text[:len(gen)], gen, gen, start=start, end=start + len(gen), upos="ADP",
                            **common))
            start += len(gen)
            text = text[len(gen):]
            t = {**t, "lemma": None, "upos": "NOUN"}
            n = norm(text)
        if n not in lex.form_lemmas and n not in nominals:
            for k in range(2, len(text) - 1):
                if norm(text[:k]) in nominals and norm(text[k:]) in lex.form_lemmas:
                    split = k
                    break
        common = dict(upos=t.get("upos") or "", deprel=t.get("deprel") or "", head=int(t.get("head") or 0),
                      token_index=int(t["token_index"]))
        if split:
            out.append(Word(len(out), text[:split], norm(text[:split]), norm(text[:split]), start=start,
                            end=start + split, **{**common, "upos": "NOUN", "deprel": "compound"}))
            out.append(Word(len(out), text[split:], norm(text[split:]), norm(text[split:]), start=start + split,
                            end=end, **{**common, "upos": "VERB"}))
        else:
            lemma = norm(t.get("lemma")) or n
            ob = lex.oblique_plural
            if n.endswith(ob) and len(n) > len(ob) + 1 and lemma not in lex.pattern_words:
                # "دھماکوں" (lemmatised "دھماک"): the oblique plural of a pattern's noun matches that pattern
                lemma = next((n[:-len(ob)] + e for e in lex.plural_stems if n[:-len(ob)] + e in lex.pattern_words),
                             lemma)
            out.append(Word(len(out), text, n, lemma, start=start, end=end, **common))
    return out


def _attach_mentions(words: list[Word], mentions: list[dict]) -> None:
    for mi, m in enumerate(mentions):
        for w in words:
            if w.start < m["end_char"] and m["start_char"] < w.end:
                w.mention = mi


def _seq_at(words: list[Word], i: int, seq: tuple[str, ...]) -> bool:
    """words[i:] starts with seq (by text, lemma ignored: markers are closed-class words)."""
    return i + len(seq) <= len(words) and all(words[i + k].norm == s for k, s in enumerate(seq))


def _word_matches(w: Word, s: str) -> bool:
    return w.norm == s or w.lemma == s


# ---------------------------------------------------------------------------------------------- triggers


@dataclass
class Trigger:
    entry: LexEntry
    first: int  # index of first pattern word
    verb: int  # index of the verb word
    last: int  # last word of the verb group
    negated: bool = False
    modality: str = "asserted"
    passive: bool = False
    inner_mentions: list[int] = field(default_factory=list)  # mentions between nominal and verb (destinations)
    parse_ok: bool = False
    embedded: bool = False
    carrier: int | None = None  # "… فراہم کرنے کےلئے انتظامات کئے": the noun of the steps taken for this purpose
    coordinated: bool = False  # shares its verb with a later nominal ("ملاقات اور بات چیت کی")
    oblique: list = field(default_factory=list)  # agent phrase of a nominal inside the clause ("X کی جانب سے حملے")
    headline: bool = False  # a nominal with no verb in a headline ("X کی Y پر تنقید")
    adverbial: bool = False  # a nominal heading an adverbial phrase ("X سے ملاقات کے دوران", "حملے میں")
    gap: tuple[int, int] | None = None  # an adjunct between nominal and verb ("… ریگا میں منعقد ہوا"), [start, end)


def _is_genitive_use(words: list[Word], i: int, lex: Lexicon) -> bool:
    """کا/کی/کے is usually a genitive; it is the light verb کی/کے only when the verb group or clause ends after it."""
    w = words[i]
    if w.norm not in lex.genitive:
        return False
    nxt = words[i + 1] if i + 1 < len(words) else None
    if nxt is None or nxt.norm in _PUNCT_WORDS or nxt.norm in lex.verb_tail or nxt.norm in lex.passive:
        return False
    if any(nxt.norm in v for v in lex.modality.values()) or nxt.norm in lex.clause_breaks:
        return False
    if nxt.norm in lex.conjunctions:
        return False
    return not (nxt.upos in ("AUX", "PUNCT", "SCONJ"))


def _first_word(entry: LexEntry) -> str | None:
    """A word the sentence must contain for the entry to match (its first pattern word), None for a bare verb."""
    return entry.pattern[0] if entry.light_verbs or len(entry.pattern) > 1 else None


def find_triggers(words: list[Word], lex: Lexicon) -> list[Trigger]:
    found: list[Trigger] = []
    used: set[int] = set()
    # a light verb has hundreds of entries; only those whose first word occurs in the sentence can match
    present = {w.norm for w in words} | {w.lemma for w in words}
    for i, w in enumerate(words):
        lemmas = lex.lemmas_of(w)
        if not lemmas or _is_genitive_use(words, i, lex):
            continue
        cands: list[Trigger] = []
        for lemma in lemmas:
            for entry in lex.by_verb.get(lemma, ()):
                first = _first_word(entry)
                if first is not None and first not in present:
                    continue
                t = _match_before(words, i, entry, lex, lemma)
                if t:
                    cands.append(t)
        if not cands:
            continue
        cands.sort(key=lambda t: (t.gap is not None, -(t.verb - t.first), -len(t.entry.pattern)))
        best = cands[0]
        if any(k in used for k in range(best.first, best.verb + 1)):
            continue
        group = [best]
        # "ملاقات اور بات چیت کی": a coordinated nominal before the matched one shares the verb.
        j = best.first - 1
        while j > 0 and words[j].norm in lex.conjunctions:
            more = [t for lemma in lemmas for e in lex.by_verb.get(lemma, ())
                    if (t := _match_before(words, i, e, lex, lemma, end=j - 1))]
            if not more:
                break
            more.sort(key=lambda t: -len(t.entry.pattern))
            more[0].coordinated = True
            group.append(more[0])
            j = more[0].first - 1
        for t in group:
            _verb_group(words, t, lex)
            used.update(range(t.first, t.verb + 1))
            found.append(t)
    return sorted(found, key=lambda t: t.first)


def _match_before(words: list[Word], verb: int, entry: LexEntry, lex: Lexicon, lemma: str,
                  end: int | None = None) -> Trigger | None:
    """Match entry's words ending right before the verb (or at ``end``), skipping particles, negation and a
    mention with its case marker ("فوجی روس بھیجے": the destination may sit between nominal and verb)."""
    if entry.light_verbs:
        tails = [lv[:-1] for lv in entry.light_verbs if lv[-1] == lemma]
        if not tails:
            return None
        seqs = [entry.pattern + tail for tail in tails]
    else:
        if entry.pattern[-1] != lemma:
            return None
        seqs = [entry.pattern[:-1]]
    # "… منعقد ہوا", "… کی تصدیق X کی طرف سے … کی گئی": with ہونا or a passive, a held-word and one adjunct may
    # stand between the nominal and the verb
    loose = end is None and (lemma in lex.adjunct_verbs and (
        words[verb].norm in lex.copula_forms or (verb + 1 < len(words) and words[verb + 1].norm in lex.passive)))
    for seq in seqs:
        j = verb - 1 if end is None else end
        negated, inner, gap, held = False, [], None, False
        k = len(seq) - 1
        ok = True
        while k >= 0:
            if j < 0:
                ok = False
                break
            w = words[j]
            if _word_matches(w, seq[k]):
                k -= 1
                j -= 1
                continue
            if k == len(seq) - 1 and end is None:  # only between the nominal group and the verb
                if loose and j == verb - 1 and w.norm in lex.held_words and len(seq) == 1:
                    j -= 1  # "مشاورت … منعقد ہوئی": held is part of the verb
                    held = True
                    continue
                if w.norm in lex.particles:
                    j -= 1
                    continue
                if w.norm in lex.negation:
                    negated = True
                    j -= 1
                    continue
                if held and gap is None and len(seq) == 1 and w.norm in lex.adjunct_ends:
                    p = _adjunct_start(words, j, seq[k], lex)
                    if p is not None:  # "… لٹویا کی وزارت خارجہ میں منعقد ہوا": a place, not a destination
                        gap = (p + 1, j + 1)
                        j = p
                        continue
                if w.mention is not None or (w.norm in lex.goal_markers and j > 0 and words[j - 1].mention is not None):
                    if w.mention is not None:
                        inner.append(w.mention)
                    j -= 1
                    continue
                if loose and gap is None and len(seq) == 1 and (w.norm in lex.adjunct_ends or any(
                        _seq_at(words, j - len(m) + 1, m) for m in lex.agent_markers if m != (lex.ergative,))):
                    p = _adjunct_start(words, j, seq[k], lex)
                    if p is not None:
                        gap = (p + 1, j + 1)
                        j = p
                        continue
            if k == len(seq) - 1 and seq and w.norm in lex.round_nouns and j - 1 > 0:
                # "مذاکرات کا دوسرا دور": the round of a meeting nominal is the meeting
                q = j - 1
                while q > 0 and words[q].upos in ("ADJ", "NUM") and j - q <= 2:
                    q -= 1
                if words[q].norm in lex.genitive and q - 1 >= 0 and _word_matches(words[q - 1], seq[k]):
                    j = q - 1
                    continue
            ok = False
            break
        if ok:
            first = j + 1
            if seq == () and verb - first > 0:
                first = verb  # simple verb: nothing before it belongs to the trigger
            t = Trigger(entry, first if seq else verb, verb, verb, negated=negated, inner_mentions=inner, gap=gap)
            nominal = words[t.first]
            t.parse_ok = nominal.head == words[verb].token_index or words[verb].head == nominal.token_index
            return t
    return None


ADJUNCT_MAX = 16  # words an adjunct between a nominal and its verb may have


def _adjunct_start(words: list[Word], end: int, nominal: str, lex: Lexicon) -> int | None:
    """The nominal's index when the words after it up to ``end`` are adjuncts (places, dates, an agent phrase: no
    verb, no clause break, no ergative, no other nominal of the lexicon) and it ends in a postposition."""
    for p in range(end - 1, max(-1, end - ADJUNCT_MAX - 1), -1):
        w = words[p]
        if _word_matches(w, nominal) or (w.norm in lex.round_nouns and p > 1 and words[p - 1].upos in ("ADJ", "NUM")
                                          and p - 3 >= 0 and words[p - 2].norm in lex.genitive
                                          and _word_matches(words[p - 3], nominal)):
            if _word_matches(w, nominal) and p + 1 < end and (
                    words[p + 1].norm in lex.genitive or words[p + 1].norm in lex.coordinators):
                return None  # "روس کے حملوں کی زد میں ہے": the nominal is a possessor, not the verb's
            return p  # (a round noun: the caller steps over "X کا تیسرا دور" to X)
        if w.mention is not None:
            continue
        if (w.upos in ("VERB", "AUX") and (w.norm in lex.form_lemmas or w.norm in lex.verb_tail)
                and w.norm not in lex.genitive) or w.norm in lex.clause_breaks or w.norm == lex.ergative or \
                w.norm in lex.held_words or (w.norm in lex.nominal_heads and words[p + 1].upos != "ADP"):
            return None  # (a word the tagger calls a verb but no verb form is a misparsed name: "ریگا")
    return None


def _verb_group(words: list[Word], t: Trigger, lex: Lexicon) -> None:
    """Extend the trigger over its auxiliaries and read negation, passive and modality from them."""
    j = t.verb + 1
    aux = lex.passive | lex.verb_tail | lex.modality["possible"] | lex.modality["future"]
    while j < len(words):
        n = words[j].norm
        # "جاسکتا", "جائےگا": two auxiliaries written as one word
        parts = next(([n[:k], n[k:]] for k in range(1, len(n)) if n[:k] in aux and n[k:] in aux), [n]) \
            if n not in aux and n not in lex.negation and n not in lex.particles else [n]
        if n in lex.negation and j > t.verb and any(words[q].norm == n for q in range(j + 2, min(len(words), j + 16))):
            break  # "گفتگو ہوئی تھی نہ میں نے … دعوت دی نہ انہوں نے …": a correlative نہ … نہ opens the next clauses
        for n in parts:
            if n in lex.negation:
                t.negated = True
            elif n in lex.passive:
                t.passive = True
            elif n in lex.modality["possible"]:
                t.modality = "possible"
            elif n in lex.modality["future"]:
                if t.modality == "asserted":
                    t.modality = "future"
        if len(parts) == 1 and not (n in lex.negation or n in lex.passive or n in lex.modality["possible"]
                                    or n in lex.modality["future"] or n in lex.verb_tail or n in lex.particles or (
                lex.lemmas_of(words[j]) & lex.verb_group_light_verbs and not _is_genitive_use(words, j, lex))):
            break
        t.last = j
        j += 1
    if t.first > 0 and words[t.first - 1].norm in lex.negation:
        t.negated = True
    # "… کرنے کا عہد کیا": an infinitive governed by a promise noun is an intent, not an act.
    k = t.last + 1
    while k < len(words) and words[k].norm in lex.particles:
        k += 1
    infinitive = words[t.last].norm.endswith(lex.infinitive_endings)
    if infinitive and k + 1 < len(words) and words[t.last].upos == "VERB" and words[k].norm in ABLATIVE:
        # "… تصدیق کرنے سے انکار کر دیا": an act refused did not happen (negated); "… اسلحہ فروخت کرنے سے روکنے کی
        # قرارداد": an act to be prevented is none at all
        k2 = k + 1
        while k2 < len(words) and words[k2].norm in lex.particles:
            k2 += 1
        head = words[k2] if k2 < len(words) else None
        if head is not None and (head.norm in lex.refusal_heads or head.lemma in lex.refusal_heads):
            t.negated = True
            return
        if head is not None and (head.norm in lex.prevention_heads or head.lemma in lex.prevention_heads):
            t.embedded = True
            return
    if infinitive and words[t.last].upos == "VERB" and not (k < len(words) and words[k].norm in lex.genitive):
        # "حملہ کرنے، پولیس پر تشدد کرنے اور … مداخلت کرنے کے الزام میں": a list of infinitives shares the head
        for j in range(k, min(len(words), t.last + 25)):
            w = words[j]
            if w.norm in lex.genitive and ((words[j - 1].upos == "VERB" and words[j - 1].norm.endswith(
                    lex.infinitive_endings)) or (j + 1 < len(words) and words[j + 1].norm in lex.alleged_heads)):
                # "… مظاہرے کرنے اور کار سرکار میں مداخلت کے الزام میں": the list may end in a noun
                k = j
                break
            if (w.upos in ("VERB", "AUX") and not w.norm.endswith(lex.infinitive_endings)) or (
                    w.norm in lex.clause_breaks and w.norm not in lex.list_commas):
                break
    if infinitive and k < len(words) and (words[k].norm in lex.purpose_heads or (
            words[k].norm in lex.participle_adjectival and words[t.last].upos == "VERB")):
        # "… کرنے کیلئے" (purpose, written as one word); "… کی حمایت کرنے والے" (those who support: a description)
        t.embedded = True
        if words[k].norm in lex.purpose_heads:
            _purpose_carrier(words, t, k + 1, lex)
        return
    if k + 1 < len(words) and words[k].norm in lex.genitive and infinitive:
        k2 = k + 1
        while k2 < len(words) and words[k2].norm in lex.particles:
            k2 += 1
        head = words[k2] if k2 < len(words) else None
        if head is not None and (head.norm in lex.intent_heads or head.lemma in lex.intent_heads):
            t.modality = "intended"
        elif head is not None and (head.norm in lex.alleged_heads or head.lemma in lex.alleged_heads):
            t.modality = "alleged"
        elif head is not None and (head.norm in lex.possible_words or head.lemma in lex.possible_words):
            t.modality = "possible"
        elif head is not None and head.norm in lex.purpose_heads:
            t.embedded = True  # "… کرنے کے لیے"
            _purpose_carrier(words, t, k2 + 1, lex)
        elif head is not None and (head.norm in lex.nominal_heads
                                   or head.norm in lex.need_heads or head.lemma in lex.need_heads
                                   or head.lemma in lex.nominal_heads):
            # "دورہ کرنے کی دعوت", "… کرنے کے لیے", "… کرنے کی ضرورت نہیں": the act is the content of an invitation
            # or a demand, a purpose or a need
            t.embedded = True


ABLATIVE = ("سے",)  # "… کرنے سے انکار": the case an infinitive takes before a refusal or a prevention


CARRIER_MAX = 10  # words between a purpose and the steps taken for it ("… کےلئے وفاقی انتظامیہ نے ہر ممکن اقدامات")


def _purpose_carrier(words: list[Word], t: Trigger, after: int, lex: Lexicon) -> None:
    """"حکومت نے شرکاء کو تحفظ فراہم کرنے کےلئے سیکیورٹی انتظامات کئے": a purpose served by steps that were taken
    (discourse.yaml modality.purpose_carriers before the main verb) is what the steps do: the act is coded as
    intended, its doer the one who took the steps. Any other purpose stays uncoded."""
    for j in range(after, min(len(words), after + CARRIER_MAX)):
        w = words[j]
        if w.norm in lex.purpose_carriers or w.lemma in lex.purpose_carriers:
            if j + 1 < len(words) and lex.lemmas_of(words[j + 1]) & lex.verb_group_light_verbs:
                t.embedded, t.carrier = False, j
                t.modality = "intended" if t.modality in ("asserted", "future") else t.modality
            return
        if w.upos in ("VERB", "AUX") or w.norm in lex.clause_breaks:
            return


# ---------------------------------------------------------------------------------------------- actors


def _clause_start(words: list[Word], before: int, lex: Lexicon, hard_floor: int = 0) -> int:
    own = words[before].rel if before < len(words) else None
    j = before - 1
    while j >= hard_floor:
        if words[j].rel is not None and words[j].rel != own:
            j = words[j].rel - 1  # a relative clause inside this one ("روس، جس نے … تھا، نے"): look past it
            continue
        n = words[j].norm or words[j].text
        if words[j].mention is not None:
            pass  # a word of a name ("شی جن پنگ") is never a clause break
        elif n in lex.list_commas:
            # a comma inside a list of names ("غزہ، لبنان اور ایران پر") is part of a coordination, not a break
            if not _list_comma(words, j, lex):
                return j + 1
        elif n in lex.clause_breaks or words[j].text in lex.clause_breaks:
            return j + 1
        j -= 1
    return hard_floor


def _list_comma(words: list[Word], j: int, lex: Lexicon) -> bool:
    """The comma at j joins names: a mention on both sides, or a noun before it and a conjunction within the next
    four words with no verb or case marker in between ("غزہ، لبنان اور ایران پر")."""
    if j == 0 or j + 1 >= len(words):
        return False
    if words[j - 1].mention is not None and words[j + 1].mention is not None:
        return True
    if words[j - 1].upos not in ("PROPN", "NOUN") and words[j - 1].mention is None:
        return False
    for k in range(j + 1, min(j + 5, len(words))):
        w = words[k]
        if w.norm in lex.conjunctions:
            return k > j + 1
        if w.upos == "VERB" and w.norm.endswith(lex.infinitive_endings):
            continue  # "حملہ، پرتشدد مظاہرے کرنے اور …": a list of verbal nouns
        if w.upos in ("VERB", "AUX", "ADP", "PUNCT", "SCONJ", "PRON") or w.norm in lex.clause_breaks:
            return False
    return False


def _participles(words: list[Word], lex: Lexicon) -> list[int]:
    """Indexes of the markers that close a participle clause ("… کا اظہار کرتے ہوئے")."""
    return [h for h in range(1, len(words)) if words[h].norm in lex.participle_markers
            and words[h - 1].norm.endswith(lex.participle_endings) and words[h - 1].upos in ("VERB", "AUX")]


def _in_modifier(words: list[Word], after: int, before: int, lex: Lexicon) -> bool:
    """The case-marked phrase ending before ``after`` sits in an adjectival participle ("سعودی عرب سے تعلق رکھنے
    والے شدت پسند", "X پر حملہ کرنے والے"): a verb + والا/والے/والی follows within three words, before ``before``."""
    for k in range(after, min(after + 4, before)):
        if words[k].norm in lex.participle_adjectival and k > after and words[k - 1].upos in ("VERB", "AUX"):
            return True
    return False


def _relative_spans(words: list[Word], lex: Lexicon) -> None:
    """Mark the words of relative clauses opened by a relative pronoun after a noun ("روس، جس نے یوکرین پر حملہ کیا
    تھا، نے …"): up to the comma that closes it, or to the end of its first verb group when more follows."""
    i = 1
    while i < len(words):
        w = words[i]
        prev = i - 1 if words[i - 1].norm not in lex.list_commas else i - 2
        if w.norm not in lex.pron_relative or w.upos not in ("PRON", "DET") or w.mention is not None \
                or prev < 0 or not (words[prev].mention is not None or words[prev].upos in ("NOUN", "PROPN")):
            i += 1
            continue
        start = prev + 1
        end = None
        seen_verb = False
        for k in range(i + 1, len(words)):
            n = words[k].norm or words[k].text
            if words[k].upos in ("VERB", "AUX"):
                seen_verb = True
            elif seen_verb and n in lex.list_commas:
                end = k
                break
            elif seen_verb:
                end = k - 1
                break
            if n in _PUNCT_WORDS and n not in lex.list_commas:
                break
        if end is None or all(w.upos == "PUNCT" for w in words[end + 1:]):
            i += 1  # nothing follows: no main clause to hide it from
            continue
        for k in range(start, end + 1):
            words[k].rel = start
        i = end + 1


def _mention_end(words: list[Word], j: int) -> int:
    """Last word of the mention that word ``j`` belongs to."""
    while j + 1 < len(words) and words[j].mention is not None and words[j + 1].mention == words[j].mention:
        j += 1
    return j


def _mention_start(words: list[Word], j: int) -> int:
    m = words[j].mention
    while j > 0 and words[j - 1].mention == m:
        j -= 1
    return j


def _coordinated(words: list[Word], last_word: int, lex: Lexicon, floor: int) -> list[int]:
    """Word indexes of the last words of mentions coordinated with the one ending at last_word (in order)."""
    ends = [last_word]
    skip = lex.negation | lex.particles  # "نہ تو X اور نہ ہی Y": negation words sit inside the list
    j = _mention_start(words, last_word) - 1
    while True:
        while j >= floor and words[j].norm in skip:
            j -= 1
        if not (j - 1 >= floor and (words[j].norm or words[j].text) in lex.coordinators):
            break
        k = j - 1
        while k >= floor and words[k].norm in skip:
            k -= 1
        if k < floor or words[k].mention is None:
            break
        ends.append(k)
        j = _mention_start(words, k) - 1
    return list(reversed(ends))


def _title_before(words: list[Word], end: int, lex: Lexicon) -> tuple[Title, int] | None:
    """A title ending at word ``end``: (title, index of its first word)."""
    for t in lex.titles:
        s = end - len(t.words) + 1
        if s >= 0 and all(_word_matches(words[s + k], t.words[k]) for k in range(len(t.words))):
            return t, s
    return None


def _resolve_phrase_end(words: list[Word], end: int, floor: int, lex: Lexicon, mentions: list[dict],
                        entities: dict[str, dict], method: str, ctx: "_Context | None" = None) -> list[Actor]:
    """Actors of the noun phrase ending at word ``end`` (just before its case marker). A bare title ("وزیراعظم نے")
    is the person last named with that title in the article; titled phrases joined by اور are one actor each
    ("پاکستان کے سفیر X اور لٹویا کے وزیر خارجہ Y نے")."""
    actors, start, bare, titled = _resolve_np(words, end, floor, lex, mentions, entities, method)
    if not actors and bare is not None:
        a = _titled_antecedent(bare, ctx)
        actors = [a] if a else []
    joint = start - 2 >= floor and (words[start - 1].norm in lex.conjunctions or (
        (words[start - 1].norm or words[start - 1].text) in lex.list_commas and _list_comma(words, start - 1, lex)))
    if actors and (titled or bare is not None) and joint:
        ids = {a.entity_id for a in actors}
        more = _resolve_phrase_end(words, start - 2, floor, lex, mentions, entities, method, ctx)
        actors = [a for a in more if a.entity_id not in ids] + actors
    return actors


def _titled_antecedent(title: "Title", ctx: "_Context | None") -> "Actor | None":
    """The one person the article has named with this title so far ("وزیر اعظم نواز شریف … وزیراعظم نے")."""
    if ctx is None:
        return None
    found = {a.entity_id: a for key, a in ctx.titled if key == "".join(title.words)}
    if len(found) != 1:
        return None  # never named, or two holders named (Pakistan's and India's prime ministers): ambiguous
    a = next(iter(found.values()))
    return Actor(a.entity_id, a.actor_code, a.country_code, "pronoun")


ON_BEHALF = ("جانب", "طرف")  # "پاکستان کی جانب سے سیکرٹری X": the agent markers that may own a title


def _owner_link(words: list[Word], s: int, floor: int, lex: Lexicon) -> int:
    """Length of the link between a title starting at ``s`` and the mention that owns it: 1 for a genitive
    ("جاپان کے وزیر خارجہ"), 3 for "کی جانب سے / کی طرف سے" ("لٹویا کی طرف سے انڈر سیکرٹری آف سٹیٹ Y"), else 0."""
    if s - 2 >= floor and words[s - 1].norm in lex.genitive and words[s - 2].mention is not None:
        return 1
    for m in lex.agent_markers:
        n = len(m)
        if n == 3 and m[1] in ON_BEHALF and s - n - 1 >= floor and _seq_at(words, s - n, m) and \
                words[s - n - 1].mention is not None:
            return n
    return 0


def _title_phrase_start(words: list[Word], s: int, floor: int, lex: Lexicon, mentions=None, entities=None
                        ) -> tuple[int, bool]:
    """Start of the phrase whose title begins at ``s``: over modifiers, a determiner, "X کے" or a demonym; and
    whether the title is bare (no country before it). With ``mentions`` and ``entities``, a person in the
    owners' list is a phrase of its own ("سیکرٹری (یورپ) ندیم ریاض اور لٹویا کی طرف سے انڈر سیکرٹری")."""
    while s - 1 >= floor and any(words[s - 1].norm in v for v in lex.title_modifiers.values()):
        s -= 1
    if s - 1 >= floor and words[s - 1].upos in ("DET", "NUM") and words[s - 1].mention is None:
        s -= 1
    link = _owner_link(words, s, floor, lex)
    if link:
        # "روس اور شمالی کوریا کے رہنما": the countries' list; but "پاکستان کے وزیر خارجہ اسحاق ڈار اور چین کے":
        # a titled name before اور is a phrase of its own
        ends = _coordinated(words, s - link - 1, lex, floor)
        while len(ends) > 1 and (_title_before(words, _mention_start(words, ends[0]) - 1, lex) or (
                mentions is not None and ((entities.get(mentions[words[ends[0]].mention]["entity_id"]) or {}).get(
                    "entity_type") or "").upper() == "PERSON")):
            ends = ends[1:]
        return _mention_start(words, ends[0]), False
    for dem in lex.demonyms:
        d0 = s - len(dem)
        if d0 >= floor and all(words[d0 + k].norm == dem[k] for k in range(len(dem))):
            return d0, False
    return s, True


def _resolve_np(words: list[Word], end: int, floor: int, lex: Lexicon, mentions: list[dict],
                entities: dict[str, dict], method: str) -> tuple[list[Actor], int, "Title | None", bool]:
    """(actors, first word of the phrase, its title when it is a bare title, whether it carries a title)."""
    if 0 <= end and words[end].rel is not None and (end + 1 >= len(words) or words[end + 1].rel != words[end].rel):
        end = words[end].rel - 1  # "روس، جس نے … تھا، نے": the phrase is the noun before the relative clause
    while end >= floor and words[end].norm in lex.particles:
        end -= 1
    if end < floor:
        return [], end + 1, None, False
    if words[end].mention is not None:
        actors = []
        ends = _coordinated(words, end, lex, floor)
        for e in ends:
            a = _actor_from_mention(mentions[words[e].mention], entities, method, None)
            if a and not a.actor_code:
                # "اسرائیل کے صدر ریون ریولن": a name the dictionary does not know acts for the title's country
                titled = _resolve_phrase_end(words, _mention_start(words, e) - 1, floor, lex, mentions, entities,
                                             "title")
                if titled and titled[0].actor_code:
                    a = Actor(a.entity_id, titled[0].actor_code, titled[0].country_code, "title")
            if a:
                actors.append(a)
        start = _mention_start(words, ends[0])
        tt = _title_before(words, start - 1, lex) if start - 1 >= floor else None
        if tt is not None:
            return actors, _title_phrase_start(words, tt[1], floor, lex, mentions, entities)[0], None, True
        return actors, start, None, False
    # "راجہ ناصر عباس سمیت دیگر سے", "X سمیت سات افراد", "X سمیت دیگر رہنماؤں": others including X stand for X
    for k in range(end, max(floor, end - 3) - 1, -1):
        if words[k].norm in lex.including:
            if k - 1 >= floor and words[k - 1].mention is not None and k < end:
                return _resolve_np(words, k - 1, floor, lex, mentions, entities, method)
            break
        if words[k].upos not in ("NOUN", "ADJ", "NUM", "DET") or words[k].mention is not None:
            break
    tt = _title_before(words, end, lex)
    if tt is None:
        # "عدالت کے جج عتیق الرحمٰن نے": a name the linker missed after a title acts for the title's holder
        for n in (1, 2, 3):
            if end - n < floor or words[end - n + 1].upos != "PROPN" or words[end - n + 1].mention is not None:
                break
            if _title_before(words, end - n, lex):
                return _resolve_np(words, end - n, floor, lex, mentions, entities, method)
        return [], end + 1, None, False
    title, s = tt
    former = False
    while s - 1 >= floor and any(words[s - 1].norm in v for v in lex.title_modifiers.values()):
        former |= words[s - 1].norm in lex.title_modifiers.get("former", frozenset()) | \
            lex.title_modifiers.get("elect", frozenset())  # not (or not yet) in office: not the government
        s -= 1
    role = None if former else title.role
    start, bare = _title_phrase_start(words, s, floor, lex)
    # "جاپان کے وزیر خارجہ" / "روس اور شمالی کوریا کے رہنماؤں" / "وائٹ ہاؤس کی ایک ترجمان" (a determiner between)
    if s - 1 >= floor and words[s - 1].upos in ("DET", "NUM") and words[s - 1].mention is None:
        s -= 1
    link = _owner_link(words, s, floor, lex)
    if link:
        return [a for e in _coordinated(words, s - link - 1, lex, floor)
                if (a := _actor_from_mention(mentions[words[e].mention], entities, "title", role))], start, None, True
    # "روسی وزیر دفاع"
    for dem, iso in lex.demonyms.items():
        d0 = s - len(dem)
        if d0 >= floor and all(words[d0 + k].norm == dem[k] for k in range(len(dem))):
            ent = _country_entity(iso, entities)
            if ent:
                return [_actor_from_entity(ent, "title", role)], start, None, True
    return [], start, (title if bare and not former else None), True


def _country_entity(iso: str, entities: dict[str, dict]) -> dict | None:
    for e in entities.values():
        if e.get("country_code") == iso and (e.get("entity_type") or "").upper() == "COUNTRY":
            return e
    return None


def _actor_from_entity(ent: dict, method: str, role: str | None) -> Actor:
    code = ent.get("actor_code")
    if role and (ent.get("entity_type") or "").upper() in ("COUNTRY", "LOCATION", "GPE") and ent.get("country_code"):
        code = f"{ent['country_code']}{role}"
    return Actor(ent["entity_id"], code, ent.get("country_code"), method)


def _actor_from_mention(m: dict, entities: dict[str, dict], method: str, role: str | None) -> Actor | None:
    eid = m.get("entity_id")
    if not eid:
        return None
    ent = entities.get(eid) or {"entity_id": eid}
    if m.get("actor_code"):  # the code as of the article's date, set by linking (Obama in 2014 -> USAGOV)
        ent = {**ent, "actor_code": m["actor_code"]}
    return _actor_from_entity({**ent, "entity_id": eid}, method, role)


@dataclass
class _Context:
    """What pronoun resolution may look back to: subjects of the earlier sentences of the article and of this one."""
    entities: dict[str, dict]
    history: list[tuple[int, Actor]] = field(default_factory=list)  # (sentence index, subject) in text order
    si: int = 0
    local: list[tuple[int, Actor]] = field(default_factory=list)  # (word index, subject) in this sentence
    persons: list[tuple[int, str]] = field(default_factory=list)  # (word index, entity id) of the persons named in it
    pairs: list[tuple[int, int, list[Actor]]] = field(default_factory=list)  # (sentence, word, [X, Y]): "X اور Y"
    reports: list["_Report"] = field(default_factory=list)
    titled: list[tuple[str, Actor]] = field(default_factory=list)  # (title words, person) named with a title
    attacker_named: bool = False  # an earlier violent event of the article had its Actor1 ("حملے میں" is that one)
    owners: list["Actor"] = field(default_factory=list)  # civilians named so far (lex.property_owners), in order
    reciprocal: list[tuple[int, list["Actor"]]] = field(default_factory=list)  # (sentence, [X, Y]) of acts X↔Y


@dataclass
class _Report:
    verb: int  # the reporting verb (or the speaker's name in a headline "…، X")
    start: int  # the reported content is words[start:end]
    end: int
    speaker: "Actor | None"


PRONOUN_WINDOW = 3  # sentences back that a pronoun may reach
PAIR_WINDOW = 6  # sentences back that "دونوں ممالک" (both countries) may reach for the pair named together
REQUEST_ROOTS = ("02", "10")  # appeals and demands: their کہ-clause is what is asked for
PROMISE_ROOTS = ("03",)  # intents: their کہ-clause is what is promised
SPEAKER_PLANS = ("future", "intended")  # agentless acts in a report with these modalities are the speaker's
PRONOUN_CONFIDENCE = 0.8  # factor on the confidence of an event whose Actor1 is a resolved pronoun
# a report whose content states no event of these with a known Actor1 (none, or only conditional, possible, alleged
# or negated ones, or only acts of someone unnamed) is itself a statement (010) by its speaker
STATED_MODALITIES = ("asserted", "future", "intended")
ACTOR1_METHODS = ("agent_marker", "title", "nominative", "possessor", "between", "pronoun", "zero_subject",
                  "relative", "speaker", "headline")


def _country_like(a: Actor, entities: dict[str, dict]) -> bool:
    """A country as such (IRN), not its government (IRNGOV) or a person or organisation."""
    etype = ((entities.get(a.entity_id) or {}).get("entity_type") or "").upper()
    return etype in ("COUNTRY", "GPE", "LOCATION") and (not a.actor_code or a.actor_code == a.country_code)


STATE_VOICE_SECTOR = "GOV"  # a government speaker's "Pakistan wants …" is the government's position


def _state_voice(actors: list[Actor], j: int, ctx: "_Context | None") -> list[Actor]:
    """"طارق فاطمی نے کہا کہ پاکستان بھارت کے ساتھ … مذاکرات کے ذریعے حل کرنا چاہتا ہے": in a government official's
    report, his own country as the subject speaks for his government (PAKGOV, as coders code a stated position)."""
    sp = _speaker_of(j, ctx)
    if sp is None or not sp.actor_code or not sp.country_code or sp.actor_code != sp.country_code + STATE_VOICE_SECTOR:
        return actors
    return [Actor(a.entity_id, sp.actor_code, a.country_code, a.method)
            if a.actor_code and a.actor_code == a.country_code == sp.country_code else a for a in actors]


def _speaker_of(j: int, ctx: "_Context | None") -> Actor | None:
    for r in reversed(ctx.reports if ctx else []):
        if r.start <= j < r.end and r.speaker is not None and r.speaker is not UNKNOWN_AGENT:
            return r.speaker
    return None


def _headline_quote(j: int, ctx: "_Context | None") -> bool:
    """Whether word j lies in a headline's quotation of its speaker ("…، X": its report starts at word 0)."""
    return any(r.start == 0 and r.verb > j and r.end == r.verb - 1 and r.speaker is not None
               for r in (ctx.reports if ctx else []))


def _is_pronoun(w: Word, lex: Lexicon) -> bool:
    return w.mention is None and (w.norm in lex.pron_first or w.norm in lex.pron_person or w.norm in lex.pron_any
                                  or w.norm in lex.pron_relative) and w.upos in ("PRON", "DET")


def _resolve_pronoun(words: list[Word], j: int, lex: Lexicon, ctx: "_Context | None", method: str = "pronoun"
                     ) -> Actor | None:
    """The actor a subject pronoun at word j stands for: the speaker for "ہم/میں" inside a report, else the most
    recent subject before it in the article (a person pronoun skips bare countries); an unlinked subject in between
    stops the search (we never jump past the likely referent to an older one)."""
    if ctx is None:
        return None
    n = words[j].norm
    if n in lex.pron_first:
        sp = _speaker_of(j, ctx)
        return Actor(sp.entity_id, sp.actor_code, sp.country_code, "speaker") if sp else None
    person = n in lex.pron_person
    if not (person or n in lex.pron_any):
        return None
    return _recent_subject(j, ctx, person, method)


def _first_person_ergative(words: list[Word], p: int, marker_at: int, lex: Lexicon) -> bool:
    """"کہا کہ میں نے …": the tagger may call میں a noun or a postposition, but no postposition stands before the
    ergative, so it is the first-person pronoun."""
    return words[p].mention is None and words[p].norm in lex.pron_first and words[marker_at].norm == lex.ergative


def _phrase_actors(words, marker_at: int, floor: int, lex, mentions, entities, method: str,
                   ctx: "_Context | None") -> list[Actor]:
    """Actors of the phrase right before the marker at ``marker_at``; a pronoun is resolved ([UNKNOWN_AGENT] if it
    cannot be), a relative pronoun stands for the noun before it ("روس، جس نے")."""
    p = marker_at - 1
    while p >= floor and words[p].norm in lex.particles:
        p -= 1
    if p < 0:
        return []
    both = _both(words, p, lex, ctx)
    if both:
        return both
    if _is_pronoun(words[p], lex) or _first_person_ergative(words, p, marker_at, lex):
        if words[p].norm in lex.pron_relative:
            k = p - 1 if p > 0 and words[p - 1].norm not in lex.list_commas else p - 2
            got = _resolve_phrase_end(words, k, 0, lex, mentions, entities, "relative") if k >= 0 else []
            return got or [UNKNOWN_AGENT]
        a = _resolve_pronoun(words, p, lex, ctx)
        return [a] if a else [UNKNOWN_AGENT]
    if p < floor:
        return []
    return _resolve_phrase_end(words, p, floor, lex, mentions, entities, method, ctx)


def _find_agent(words, t: Trigger, floor: int, lex, mentions, entities, source_ids,
                ctx: "_Context | None" = None) -> list[Actor]:
    """Actor1: the ergative subject (X نے) of the clause, else an agent phrase (X کی جانب سے، X کے ذریعے، also in
    passives). An agent phrase between an ergative subject and the trigger belongs to a nominal of the clause
    ("X نے Y کی جانب سے حملے کی مذمت کی"): it is kept in ``t.oblique`` for Actor2."""
    own = words[t.first].rel
    hits: list[tuple[int, tuple[str, ...]]] = []
    j = t.first - 1
    while j >= floor:
        if words[j].rel is not None and words[j].rel != own:
            j = words[j].rel - 1
            continue
        for marker in lex.agent_markers:
            if _seq_at(words, j, marker) and j + len(marker) <= t.first:
                hits.append((j, marker))
                break
        j -= 1
    if not hits and t.gap and t.passive:
        # "اس بات کی تصدیق X کی طرف سے … کی گئی": the agent phrase of a passive between nominal and verb
        for j in range(t.gap[0], t.gap[1]):
            for marker in lex.agent_markers:
                if marker != (lex.ergative,) and _seq_at(words, j, marker):
                    hits.append((j, marker))
                    break
            if hits:
                break
    erg = next((h for h in hits if h[1] == (lex.ergative,)), None)
    if erg is not None:
        for j, marker in hits:
            if j > erg[0] and marker != (lex.ergative,) and not t.passive:
                got = [a for a in _phrase_actors(words, j, floor, lex, mentions, entities, "agent_marker", None)
                       if a is not UNKNOWN_AGENT and a.entity_id not in source_ids]
                if got:
                    t.oblique = got
                    break
        actors = _phrase_actors(words, erg[0], floor, lex, mentions, entities, "agent_marker", ctx)
        actors = [a for a in actors if a is UNKNOWN_AGENT or a.entity_id not in source_ids]
        # "مغربی ممالک نے": an agent we cannot link; never guess another
        return actors or [UNKNOWN_AGENT]
    for j, marker in hits:
        actors = _phrase_actors(words, j, floor, lex, mentions, entities, "agent_marker", ctx)
        actors = [a for a in actors if a is UNKNOWN_AGENT or a.entity_id not in source_ids]
        if actors and actors != [UNKNOWN_AGENT]:
            return actors
    # "X کا الزام ہے کہ …": with ہونا the possessor of the nominal is the one who holds it
    # (not "X کے دورے پر ہیں": a possessor before a nominal + پر/میں is where one is, the destination)
    if t.entry.light_verbs and words[t.verb].norm in lex.copula_forms and not (
            t.entry.pattern[-1] in lex.adjunct_ends or words[min(t.first + len(t.entry.pattern), t.verb)].norm
            in lex.adjunct_ends):
        g = t.first - 1
        if g - 1 >= floor and words[g].norm in lex.genitive:
            return [a for a in _phrase_actors(words, g, floor, lex, mentions, entities, "possessor", ctx)
                    if a is not UNKNOWN_AGENT]
    return []


def _find_patient(words, t: Trigger, floor: int, lex, mentions, entities, exclude: set[str],
                  source_ids: set[str], ctx: "_Context | None" = None) -> list[Actor]:
    """Nearest phrase before the trigger carrying one of the entry's case markers; genitive as a last resort."""
    for mi in t.inner_mentions:  # "فوجی روس بھیجے": a mention between nominal and verb is the destination
        a = _actor_from_mention(mentions[mi], entities, "destination", None)
        if a and a.entity_id not in exclude:
            return [a]
    oblique = [Actor(a.entity_id, a.actor_code, a.country_code, "oblique_agent") for a in t.oblique
               if a.entity_id not in exclude]
    if oblique:  # "X نے Y کی جانب سے حملے کی مذمت کی": X condemns Y
        return oblique
    best: tuple[int, int, list[Actor]] | None = None
    markers = t.entry.actor2_case
    own_ok = t.entry.code.startswith(REFLEXIVE_ROOTS)
    violent = t.entry.code.startswith(VIOLENT_ROOTS)
    if own_ok and t.first - 2 > floor and words[t.first - 1].norm in lex.genitive and \
            _own_phrase(words, t.first - 2, floor, lex, violent):
        return [OWN]  # "اپنی توانائی اور اقتصادی ٹیموں کی تعریف کی"
    own = words[t.first].rel
    for j in range(t.first - 1, floor, -1):
        if words[j].rel is not None and words[j].rel != own:
            continue
        for rank, marker in enumerate(markers):
            if _seq_at(words, j, marker) and not _in_modifier(words, j + len(marker), t.first, lex):
                actors = _resolve_phrase_end(words, j - 1, floor, lex, mentions, entities,
                                             "case:" + " ".join(marker), ctx)
                if not actors and marker in lex.target_markers:
                    actors = _possessor_of_marked(words, j - 1, floor, lex, mentions, entities,
                                                  "case:" + " ".join(marker))
                if not actors and marker in lex.target_markers and all(
                        words[k].upos == "ADJ" or words[k].mention is not None or words[k].norm in lex.particles
                        for k in range(j + len(marker), t.first)):
                    actors = _place_target(words, j - 1, floor, entities, "case:" + " ".join(marker))
                if not actors and t.entry.code.startswith(VIOLENT_ROOTS) and (
                        marker in lex.target_markers or marker == t.entry.actor2_case[0]):
                    actors = _demonym_target(words, j - 1, floor, lex, mentions, entities,
                                             "case:" + " ".join(marker))
                actors = [a for a in actors if a.entity_id not in exclude | source_ids]
                if not actors and own_ok and _own_phrase(words, j - 1, floor, lex, violent):
                    actors = [OWN]
                if actors and (best is None or rank < best[0]):
                    best = (rank, j, actors)
    if best:
        return best[2]
    # genitive possessor of the nominal: "X کی حمایت", "X کی بھرپور حمایت", "X کے دورے کی دعوت",
    # "X کی جنگ کی حمایت" — at most one modifier, and one intermediate noun phrase of at most two words.
    # (the possessor of a statement is its author, "X کا بیان", not its target)
    got = [] if t.entry.code.startswith("01") else \
        _genitive_possessor(words, t.first, floor, lex, mentions, entities, exclude | source_ids, hops=2)
    if not got and COMPLEMENT in markers:
        got = _complement_subject(words, t, lex, mentions, entities, exclude | source_ids)
    return got


OWN_PHRASE_MAX = 5  # words an "own" phrase may have after its reflexive ("اپنی توانائی اور اقتصادی ٹیموں")


def _own_phrase(words: list[Word], end: int, floor: int, lex: Lexicon, fellows_only: bool = False) -> bool:
    """The unlinked noun phrase ending at ``end`` is the subject's own people or things: it starts with a reflexive
    (اپنی، اپنے) or ends in a fellows noun (ساتھیوں). ``fellows_only``: only the latter ("اپنے اہداف کو نشانہ بنایا"
    hits its targets, not its own side)."""
    if words[end].mention is None and (words[end].norm in lex.fellows or words[end].lemma in lex.fellows):
        return True
    if fellows_only or words[end].norm in lex.kin or words[end].lemma in lex.kin:
        return False  # "اپنی اہلیہ کا شکریہ": one's family is not one's side
    for k in range(end, max(floor, end - OWN_PHRASE_MAX) - 1, -1):
        w = words[k]
        if w.norm in lex.reflexive:
            return True
        if w.mention is not None or w.upos not in ("NOUN", "ADJ", "NUM", "PROPN", "CCONJ", "DET") or \
                w.norm in lex.genitive:
            return False
    return False


def _possessor_of_marked(words, end: int, floor: int, lex, mentions, entities, method: str) -> list[Actor]:
    """"نیٹو کے قافلے پر حملہ": the case-marked phrase is a thing (قافلہ، دفتر، اڈہ) of a named actor; the possessor
    is the target. At most two words (nouns, adjectives; the small tagger calls some nouns verbs: "سفارت خانے")
    between the genitive and the marker."""
    for n in (1, 2):
        g = end - n
        if g - 1 < floor or words[g].norm not in lex.genitive or words[g - 1].mention is None:
            continue
        head = words[g + 1:end + 1]
        # not an event noun ("مودی کی دعوت پر": at Modi's invitation) nor a name ("اسرائیل کی غزہ پر")
        if any(w.mention is not None or w.upos not in ("NOUN", "ADJ", "VERB") or w.norm in lex.genitive_non_actor
               for w in head) or words[end].norm in lex.nominal_heads or words[end].lemma in lex.nominal_heads or \
                _title_after(words, g + 1, lex):
            return []
        return _resolve_phrase_end(words, g - 1, floor, lex, mentions, entities, method)
    return []


COMPLEMENT = ("COMPLEMENT",)  # actor2_case value: the subject of the following کہ-clause ("X کا الزام ہے کہ Y …")


def _complement_subject(words, t: Trigger, lex, mentions, entities, exclude: set[str]) -> list[Actor]:
    j = t.last + 1
    while j < len(words) and j <= t.last + 3 and words[j].norm not in lex.complementizers:
        j += 1
    if j >= len(words) or words[j].norm not in lex.complementizers:
        return []
    k = j + 1
    while k < len(words) and words[k].norm not in lex.clause_breaks:
        if words[k].mention is not None and (k == j + 1 or words[k - 1].mention != words[k].mention):
            end = k
            while end + 1 < len(words) and words[end + 1].mention == words[k].mention:
                end += 1
            nxt = end + 1
            # skip places and objects: "روس میں", "X کو"; take subjects, agents and possessors of the subject
            if not (nxt < len(words) and (words[nxt].norm == lex.locative or any(_seq_at(words, nxt, m)
                                                                          for m in lex.patient_markers))):
                a = _actor_from_mention(mentions[words[k].mention], entities, "complement", None)
                if a and a.entity_id not in exclude:
                    return [a]
            k = end
        k += 1
    return []


def _genitive_possessor(words, first, floor, lex, mentions, entities, exclude, hops) -> list[Actor]:
    for gap in (1, 2):
        g = first - gap
        if g - 1 < floor or words[g].norm not in lex.genitive:
            continue
        if words[g - 1].mention is not None:
            if words[g + 1].norm in lex.genitive_non_actor or _title_after(words, g + 1, lex):
                return []
            a = _actor_from_mention(mentions[words[g - 1].mention], entities, "genitive", None)
            return [a] if a and a.entity_id not in exclude else []
        if g - 2 >= floor and words[g - 2].mention is not None and words[g - 1].upos == "NOUN" and \
                _country_like(_actor_from_mention(mentions[words[g - 2].mention], entities, "genitive", None)
                              or UNKNOWN_AGENT, entities):
            # "اسرائیلی مصنوعات کا بائیکاٹ": the country named before the possessor noun
            a = _actor_from_mention(mentions[words[g - 2].mention], entities, "genitive", None)
            return [a] if a and a.entity_id not in exclude else []
        if hops > 1 and words[g - 1].upos in ("NOUN", "PROPN", "VERB"):
            for span in (1, 2):
                inner = _genitive_possessor(words, g - span, floor, lex, mentions, entities, exclude, hops - 1)
                if inner:
                    return inner
        return []
    return []


def _title_after(words: list[Word], i: int, lex: Lexicon) -> bool:
    while i < len(words) and any(words[i].norm in v for v in lex.title_modifiers.values()):
        i += 1
    return any(i + len(t.words) <= len(words) and all(_word_matches(words[i + k], t.words[k])
                                                      for k in range(len(t.words))) for t in lex.titles)


def _find_nominative(words, t: Trigger, floor: int, lex, mentions, entities, source_ids,
                     ctx: "_Context | None" = None) -> list[Actor]:
    """No agent marker: the first unmarked mention in the clause (Urdu is SOV, subjects come first), or a subject
    pronoun opening the clause ("ہم … مذمت کرتے ہیں" inside X's report is X)."""
    # a mention followed by a case marker, a genitive or a locative is not the subject
    markers = lex.patient_markers + tuple((g,) for g in lex.genitive) + lex.according_to + ((lex.locative,),)
    own = words[t.first].rel
    j = floor
    while j < t.first:
        if words[j].rel is not None and words[j].rel != own:
            j += 1
            continue
        if words[j].upos == "PRON" and _is_pronoun(words[j], lex) and words[j].norm not in lex.pron_relative:
            nxt = j + 1
            # "یہ معاہدہ", "وہ ملک": a demonstrative before a noun is no subject pronoun
            demonstrative = words[nxt].upos == "NOUN" and words[nxt].mention is None and \
                words[j].norm not in lex.pron_first
            if nxt < t.first and not demonstrative and not any(
                    _seq_at(words, nxt, m) for m in markers + lex.agent_markers):
                a = _resolve_pronoun(words, j, lex, ctx)
                return [a] if a else [UNKNOWN_AGENT]
        if words[j].mention is not None:
            s = j
            while j + 1 < t.first and words[j + 1].mention == words[s].mention:
                j += 1
            nxt = j + 1
            if nxt < t.first and words[nxt].mention is not None and all(_country_like(
                    _actor_from_mention(mentions[words[k].mention], entities, "nominative", None) or UNKNOWN_AGENT,
                    entities) != (k == nxt) for k in (s, nxt)):
                j = nxt  # "امریکی انٹیلی جنس ایجنسیاں": a country or demonym right before a name modifies it
                continue
            marked = _demonym_phrase_end(words, s, j, t.first, lex, markers)
            if marked is not None:
                j = marked  # "یوکرین کو روسی علاقوں پر حملے کے لیے": a demonym inside a marked phrase is no subject
                continue
            # "داعش باغیوں کے خلاف حملے": a name with a second name of the same actor before a case marker is that
            # phrase's, not the subject (the act itself is: "حملے جاری رہیں گے"). (Not a plain noun: "اسرائیل برسوں
            # سے … حملے کر رہا ہے" is a time phrase after the subject.)
            if nxt + 1 < t.first and words[nxt].mention is not None and any(
                    _seq_at(words, _mention_end(words, nxt) + 1, m) for m in markers) and \
                    mentions[words[nxt].mention].get("entity_id") == mentions[words[s].mention].get("entity_id"):
                j = _mention_end(words, nxt) + 1
                continue
            # "X اور Y کے …": a coordinated phrase takes the marker after its last name
            nxt = _coordination_end(words, nxt, t.first, lex)
            # "… قبرص منتقل کرنے کا الزام تھا": a name inside an infinitive phrase governed by the trigger is no subject
            # (not a purpose or time phrase: "… نظام دینے کے لئے مظاہرہ کر رہے تھے", genitive_non_actor)
            inside = any(words[k].upos == "VERB" and words[k].norm.endswith(lex.infinitive_endings)
                         and k + 1 < len(words) and words[k + 1].norm in lex.genitive and not (
                             k + 2 < len(words) and words[k + 2].norm in lex.genitive_non_actor)
                         for k in range(nxt, t.first))
            if not inside and not any(_seq_at(words, nxt, m) for m in markers) and not _title_after(words, nxt, lex):
                a = _actor_from_mention(mentions[words[s].mention], entities, "nominative", None)
                # an outlet named without نے is a dateline or credit ("(اے پی پی)"), not an unmarked subject
                if a and a.entity_id not in source_ids and not (a.actor_code or "").endswith("MED"):
                    return [a]
        j += 1
    return []


def _coordination_end(words: list[Word], nxt: int, before: int, lex: Lexicon) -> int:
    """The word after a list of names that starts at ``nxt`` with a coordinator or a list comma ("شام اور لبنان کی
    سرحد پر", "گھانا، لیبیا اور منگولیا کے سفارت کاروں پر"): the list's marker stands there."""
    while nxt + 1 < before and ((words[nxt].norm or words[nxt].text) in lex.coordinators or
                                (words[nxt].norm or words[nxt].text) in lex.list_commas) and \
            words[nxt + 1].mention is not None:
        nxt = _mention_end(words, nxt + 1) + 1
    return nxt


def _demonym_phrase_end(words: list[Word], s: int, e: int, before: int, lex: Lexicon,
                        markers: tuple[tuple[str, ...], ...]) -> int | None:
    """A demonym (words[s:e+1], demonyms.yaml) before unlinked nouns modifies them: when that noun phrase ends in a
    case marker or a locative ("روسی علاقوں پر", "امریکی عوام سے", "امریکی صدارتی انتخابات میں", "اسرائیلی فٹ بال
    شائقین پر"), the index of its last noun (the phrase is not the subject), else None. Not before a genitive:
    "امریکی ایجنسی کا ویب پیج … وضاحت کرتا ہے" is the agency's page, the country stands in for its owner."""
    if tuple(w.norm for w in words[s:e + 1]) not in lex.demonyms:
        return None
    k = e + 1
    while k < before and words[k].mention is None and words[k].upos in ("NOUN", "ADJ", "PROPN"):
        k += 1
    if k == e + 1 or k >= before or words[k].norm in lex.genitive or not any(_seq_at(words, k, m) for m in markers):
        return None
    return k - 1


def _find_between(words, t: Trigger, floor: int, lex, mentions, entities, ctx: "_Context | None" = None
                  ) -> list[Actor]:
    """"X اور Y کے درمیان معاہدہ طے پایا": the coordinated pair before کے درمیان ("دونوں ممالک کے درمیان": the last
    pair named)."""
    for j in range(t.first - 1, floor, -1):
        for marker in lex.between_markers:
            if _seq_at(words, j, marker):
                actors = _both(words, j - 1, lex, ctx) or \
                    _resolve_phrase_end(words, j - 1, floor, lex, mentions, entities, "between")
                if len(actors) >= 2:
                    return actors
    return []


def _both(words: list[Word], end: int, lex: Lexicon, ctx: "_Context | None") -> list[Actor]:
    """"دونوں ممالک", "دونوں رہنماؤں": the last pair of actors named together in the article's recent sentences."""
    if ctx is None or end < 1 or words[end].norm not in lex.both_nouns or words[end - 1].norm not in lex.both_words:
        return []
    countries = words[end].norm in lex.both_country_nouns
    for si, pos, pair in reversed(ctx.pairs):
        if ctx.si - si <= PAIR_WINDOW and (si < ctx.si or pos < end):
            if countries:
                # "پاکستان کی جانب سے ایڈیشنل سیکرٹری X اور لٹویا …۔ دونوں ممالک نے": the countries, not X's office
                ents = [_country_entity(a.country_code, ctx.entities) if a.country_code else None for a in pair]
                if any(e is None for e in ents) or ents[0]["entity_id"] == ents[1]["entity_id"]:
                    continue
                return [replace(_actor_from_entity(e, "pronoun", None), both=True) for e in ents]
            return [Actor(a.entity_id, a.actor_code, a.country_code, "pronoun", both=True) for a in pair]
    return []


# ---------------------------------------------------------------------------------------------- sources


def _sources(words: list[Word], lex: Lexicon, mentions, entities) -> list[tuple[int, str]]:
    """(word index from which it applies, source entity id) for "X کے مطابق" and "X نے بتایا کہ"."""
    # "X کے مطابق" usually opens its clause; it covers what follows, up to the sentence end
    return [(max(0, j - 6), a.entity_id) for j, a in _according(words, lex, mentions, entities)]


def _according(words: list[Word], lex: Lexicon, mentions, entities) -> list[tuple[int, Actor]]:
    """(index of the marker, source) for every "X کے مطابق" / "X کی طرف سے جاری بیان کے مطابق" of the sentence."""
    out = []
    for j in range(1, len(words)):
        for marker in lex.according_to:
            if _seq_at(words, j, marker):
                actors = _resolve_phrase_end(words, j - 1, 0, lex, mentions, entities, "source") or \
                    _statement_author(words, j - 1, 0, lex, mentions, entities, None)
                out.extend((j, a) for a in actors[:1])
                break
    return out


def _reporting(words: list[Word], i: int, lex: Lexicon) -> int | None:
    """If word i is a reporting verb (کہا, بتایا, اطلاع دی) followed by کہ/:, the index where the report starts."""
    w = words[i]
    lemmas = lex.lemmas_of(w)
    is_rep = bool(lemmas & lex.reporting_verbs) or (
        i > 0 and words[i - 1].norm in lex.reporting_nominals and lex.reporting_light_verb in lemmas)
    if not is_rep:
        # "کہاکہ": the verb written together with its complementizer
        for c in lex.complementizers:
            if len(w.norm) > len(c) and w.norm.endswith(c) and \
                    lex.form_lemmas.get(w.norm[:-len(c)], frozenset()) & lex.reporting_verbs:
                return i + 1
        return None
    j = i + 1
    while j < len(words) and (words[j].norm in lex.verb_tail or words[j].norm in lex.particles):
        j += 1
    if j < len(words) and (words[j].norm in lex.complementizers or words[j].text.strip() in (":", "：")):
        return j + 1
    if j + 1 < len(words) and (words[j].norm or words[j].text) in lex.list_commas and \
            words[j + 1].norm in lex.complementizers:
        return j + 2  # "نے کہا ہے ، کہ …": a comma before the complementizer
    if j < len(words) and words[j].mention is not None or (j < len(words) and words[j].upos != "PUNCT"):
        return j  # "کہا ہے شمالی کوریا …": the complementizer is often dropped
    return len(words)  # "… نے یہ بات کہی۔": a statement with nothing reported after it


# ---------------------------------------------------------------------------------------------- main


def extract_events(article: dict, sentences: list[dict], tokens: list[dict], mentions: list[dict],
                   entities: dict[str, dict], *, lexicon: Lexicon | None = None,
                   cameo: dict[str, CameoCode] | None = None) -> list[dict]:
    """Events rows (schemas.tables 'events') for one article. Mentions without entity_id are ignored."""
    lex = lexicon or load_lexicon()
    cameo = cameo or load_cameo()
    words_dw = dates_mod.load_date_words()
    text = article.get("text") or ""
    ref = dates_mod.reference(text, article.get("published_at"), words_dw, dateline=article.get("dateline"))
    by_sent: dict[int, list[dict]] = {}
    for t in tokens:
        by_sent.setdefault(int(t["sentence_index"]), []).append(t)
    ments_by_sent: dict[int, list[dict]] = {}
    for m in mentions:
        if m.get("entity_id"):
            ments_by_sent.setdefault(int(m["sentence_index"]) if m.get("sentence_index") is not None else -1,
                                     []).append(m)
    title = (article.get("title") or "").strip()
    lead = len(text) - len(text.lstrip())
    title_end = lead + len(title) if title and text[lead:lead + len(title)] == title else 0
    ctx = _Context(entities)
    rows: list[dict] = []
    for sent in sorted(sentences, key=lambda s: s["sentence_index"]):
        si = int(sent["sentence_index"])
        words = sentence_words(by_sent.get(si, []), lex)
        if not words:
            continue
        sm = sorted(ments_by_sent.get(si, []) + [m for m in ments_by_sent.get(-1, [])
                                                 if sent["start_char"] <= m["start_char"] < sent["end_char"]],
                    key=lambda m: m["start_char"])
        _attach_mentions(words, sm)
        ctx.si = si
        headline = int(sent["start_char"]) < title_end
        rows.extend(_sentence_events(article, sent, words, sm, entities, lex, cameo, ref, words_dw, ctx, headline))
    return without_partial_repeats(rows)


def without_partial_repeats(rows: list[dict]) -> list[dict]:
    """Drop an act that repeats, with one actor missing, an act of the same article that has both: "X attacked"
    beside "X attacked Y" (same code, same known actor) is the same report told twice, not a second event.
    Statements (root 01) are left alone: "X said" and "X told Y" are usually two different utterances."""
    full = {(r["actor1_entity_id"], r["actor2_entity_id"], r["event_code"], r["is_negated"]) for r in rows
            if r["actor1_entity_id"] and r["actor2_entity_id"] and r["event_root_code"] != STATEMENT_ROOT}
    by_actor1 = {(a1, code, neg) for a1, _, code, neg in full}
    by_actor2 = {(a2, code, neg) for _, a2, code, neg in full}
    # "X نے Y کو ٹیلیفون کیا … Y سے بات چیت کرتے ہوئے X نے …": a generic consultation (040) of a pair that the article
    # also reports more precisely (a call, a visit, talks: 041-046) is that contact told again
    # (the same pair by code: "وزیراعظم نواز شریف" and "افغان صدر" are Nawaz and Ghani again)
    specific = {(r["actor1_code"] or r["actor1_entity_id"], r["actor2_code"] or r["actor2_entity_id"],
                 r["is_negated"]) for r in rows
                if r["event_root_code"] == CONSULT_ROOTS[0] and r["event_code"] != GENERIC_CONSULT}
    keep = []
    for r in rows:
        a1, a2, key = r["actor1_entity_id"], r["actor2_entity_id"], (r["event_code"], r["is_negated"])
        if a1 and not a2 and (a1, *key) in by_actor1:
            continue
        if a2 and not a1 and (a2, *key) in by_actor2:
            continue
        if r["event_code"] == GENERIC_CONSULT and a1 and a2 and (
                r["actor1_code"] or a1, r["actor2_code"] or a2, r["is_negated"]) in specific:
            continue
        keep.append(r)
    return keep


def _fake_trigger(i: int, lex: Lexicon) -> Trigger:
    return Trigger(LexEntry((), (), "010", lex.patient_markers, False, False, ""), i, i, i)


def _zero_subject(words: list[Word], floor: int, before: int) -> bool:
    """Nothing before the verb in its clause could be a subject ("مزید کہا کہ …")."""
    return all(w.mention is None and w.upos not in ("NOUN", "PROPN", "PRON", "NUM") for w in words[floor:before])


def _find_reports(words, lex, mentions, entities, ctx: _Context, headline: bool) -> None:
    """Subjects (X نے) and reports (X نے کہا کہ …) of a sentence in text order, into ctx.local / ctx.reports, so that
    a pronoun sees what came before it."""
    if headline:
        # "… جاری رہے گا، طارق فاطمی": a headline that ends in a name after a comma quotes that speaker
        k = len(words) - 1
        while k > 0 and words[k].upos == "PUNCT" and words[k].norm not in lex.list_commas:
            k -= 1
        if k > 1 and words[k].mention is not None:
            s0 = _mention_start(words, k)
            if s0 > 1 and words[s0 - 1].norm in lex.list_commas:
                a = _actor_from_mention(mentions[words[k].mention], entities, "speaker", None)
                etype = ((entities.get(a.entity_id) or {}).get("entity_type") or "").upper() if a else ""
                if a and (etype in ("PERSON", "ORGANIZATION") or (HEADLINE_QUOTE_DOER and etype == "COUNTRY")):
                    ctx.reports.append(_Report(s0, 0, s0 - 1, a))
    for i in range(len(words)):
        if words[i].norm == lex.ergative and i > 0:
            got = _phrase_actors(words, i, 0, lex, mentions, entities, "agent_marker", ctx)
            ctx.local.append((i, got[0] if got else UNKNOWN_AGENT))
            continue
        start = _reporting(words, i, lex)
        if start is None:
            continue
        floor = _clause_start(words, i, lex)
        fake = _fake_trigger(i, lex)
        if i > 0 and words[i - 1].norm in lex.reporting_nominals:
            fake.first = i - 1
        speakers = _find_agent(words, fake, floor, lex, mentions, entities, set(), ctx)
        if not speakers:
            # "X کا کہنا ہے کہ …" / "ان کا مزید کہنا تھا کہ …": the possessor of the saying is the speaker
            g = fake.first - 1
            while g > floor and words[g].norm in lex.particles:
                g -= 1
            if g > floor and words[g].norm in lex.genitive:
                speakers = _phrase_actors(words, g, floor, lex, mentions, entities, "possessor", ctx)
        passive = i + 1 < len(words) and words[i + 1].norm in lex.passive  # "کہا گیا": no subject to recover
        if not speakers and passive and fake.first - 2 > floor and words[fake.first - 1].norm == lex.locative:
            # "X کے (جاری کردہ) بیان میں کہا گیا کہ …": the author of the statement is the speaker
            speakers = _statement_author(words, fake.first - 2, floor, lex, mentions, entities, ctx)
        if not speakers and not passive and _zero_subject(words, floor, fake.first) and not (
                floor > 0 and words[floor - 1].norm in lex.pron_relative):
            a = _recent_subject(fake.first, ctx, person=True, method="zero_subject")
            speakers = [a] if a else []
        speaker = speakers[0] if speakers else None
        end = len(words)
        if start >= len(words) and speaker is not None and speaker is not UNKNOWN_AGENT:
            # '"ہم … مذمت کرتے ہیں،" X نے کہا': the quotation stands before its speaker
            m = next((j for j in range(i - 1, floor - 1, -1) if words[j].norm == lex.ergative), None)
            if m is not None and m > 1:
                ps = _mention_start(words, m - 1) if words[m - 1].mention is not None else m - 1
                while ps > 0 and words[ps - 1].text.strip() and words[ps - 1].text.strip() in _QUOTES:
                    ps -= 1
                if ps > 1 and words[ps - 1].norm in lex.list_commas | {":"}:
                    start, end = 0, ps - 1
        ctx.reports.append(_Report(i, start, end, speaker))
        if speaker is not None:
            ctx.local.append((i, speaker))
            # "X نے کہا کہ چین ہمارا دوست ہے … اس نے مدد دی": the unmarked subject of the report's first clause is an
            # antecedent inside the report (never for later sentences: see _sentence_events)
            v = next((k for k in range(start, end) if words[k].upos in ("VERB", "AUX")), None)
            if v is not None:
                got = _find_nominative(words, _fake_trigger(v, lex), start, lex, mentions, entities, set(), None)
                if got and got[0] is not UNKNOWN_AGENT:
                    ctx.local.append((start, got[0]))


def _statement_author(words, nominal: int, floor: int, lex, mentions, entities, ctx) -> list[Actor]:
    """The author of the statement nominal at ``nominal`` (reported_speech.statement_nominals): its possessor
    ("X کے جاری بیان میں", "X کا اعلامیہ") or its agent phrase ("X کی طرف سے جاری ایک بیان"), over the fillers
    between (جاری، کردہ، ایک). A ministry or an office named with one more noun after its linked word ("جرمن وزارت
    زراعت کے") is that organisation. Never an unresolved pronoun."""
    if nominal <= floor or not (words[nominal].norm in lex.statement_nominals
                                or words[nominal].lemma in lex.statement_nominals):
        return []
    g = nominal - 1
    while g > floor and (words[g].norm in lex.statement_fillers or words[g].upos == "DET"):
        g -= 1
    got: list[Actor] = []
    for marker in lex.agent_markers:
        at = g - len(marker) + 1
        if marker != (lex.ergative,) and at > floor and _seq_at(words, at, marker):
            got = _phrase_actors(words, at, floor, lex, mentions, entities, "agent_marker", ctx)
            break
    else:
        if words[g].norm in lex.genitive and g - 1 >= floor:
            got = _phrase_actors(words, g, floor, lex, mentions, entities, "possessor", ctx)
            p = g - 1
            if not got and p - 1 >= floor and words[p].mention is None and words[p].upos == "NOUN" and \
                    words[p - 1].mention is not None:
                a = _actor_from_mention(mentions[words[p - 1].mention], entities, "possessor", None)
                if a and len(a.actor_code or "") > 3:  # an organisation with a sector, not a bare country
                    got = [a]
    return [a for a in got if a is not UNKNOWN_AGENT]


def _missed_names(words: list[Word]) -> list[tuple[int, str]]:
    """(word, "") of the proper names the linker missed: an unlinked PROPN next to another unlinked noun or PROPN
    ("چین کوگل", "ایموس شوکن"; the small tagger calls half of "جان سمتھ" a noun). A PROPN between function words is
    mostly a word the tagger took for a name ("علاوہ ازیں انہوں", "2020 کے", "واشنگٹن میں")."""
    def part(k: int) -> bool:
        return 0 <= k < len(words) and words[k].mention is None and words[k].upos in ("PROPN", "NOUN")
    return [(w.i, "") for w in words if w.mention is None and w.upos == "PROPN" and (part(w.i - 1) or part(w.i + 1))]


def _recent_subject(j: int, ctx: "_Context | None", person: bool, method: str) -> Actor | None:
    if ctx is None:
        return None
    cands = [(pos, a) for pos, a in sorted(ctx.local, key=lambda x: x[0]) if pos < j][::-1]
    cands += [(-1, a) for s, a in reversed(ctx.history) if ctx.si - s <= PRONOUN_WINDOW]
    for pos, a in cands:
        if a is UNKNOWN_AGENT:
            return None
        if person and _country_like(a, ctx.entities):
            continue
        if person and any(pos < p < j and eid != a.entity_id for p, eid in ctx.persons):
            return None  # "جوبائیڈن پر تنقید کی گئی کہ انہوں نے …": another person named in between may be meant
        return Actor(a.entity_id, a.actor_code, a.country_code, method)
    return None


def _scan_nominals(words: list[Word], lex: Lexicon, taken: list[Trigger], start_ok: Callable[[int], bool],
                   accept: Callable[[LexEntry, int, int, int], "Trigger | None"],
                   whole_span_free: bool = False) -> list[Trigger]:
    """Triggers with no verb of their own: every nominal pattern whose words stand in order from word i (not inside
    a trigger already ``taken``); ``accept(entry, i, end, nxt)`` decides, ``nxt`` being the first word after the
    pattern and its particles. The first accepted entry at i wins and the scan goes on after it."""
    used = {k for t in taken for k in range(t.first, t.last + 1)}
    out: list[Trigger] = []
    i = 0
    while i < len(words):
        hit = None
        if i not in used and start_ok(i):
            for e in lex.by_nominal.get(words[i].norm, ()) + lex.by_nominal.get(words[i].lemma, ()):
                end = i + len(e.pattern) - 1
                if end >= len(words) or (whole_span_free and any(k in used for k in range(i, end + 1))) or not all(
                        _word_matches(words[i + k], e.pattern[k]) for k in range(len(e.pattern))):
                    continue
                nxt = end + 1
                while nxt < len(words) and words[nxt].norm in lex.particles:
                    nxt += 1
                hit = accept(e, i, end, nxt)
                if hit:
                    break
        if hit:
            out.append(hit)
            i = hit.last + 1
        else:
            i += 1
    return out


def _headline_triggers(words: list[Word], lex: Lexicon, taken: list[Trigger]) -> list[Trigger]:
    """Nominals with no verb in a headline ("چین کی امریکہ پر تنقید", "X، Y کے درمیان مذاکرات"): the nominal ends
    its phrase (the headline, a comma or a conjunction follows)."""
    def accept(e: LexEntry, i: int, end: int, nxt: int) -> Trigger | None:
        ends = nxt >= len(words) or words[nxt].norm in _PUNCT_WORDS or words[nxt].upos == "PUNCT" \
            or words[nxt].norm in lex.conjunctions
        # it heads a noun phrase ("X کی Y پر تنقید", "قتل کا اعتراف", "شدید تنقید"); a participle after
        # a bare noun is a passive ("چار شہری ہلاک": killed, not killers)
        p = i - 1
        while p >= 0 and words[p].norm in lex.particles:  # "… پر بھی دستخط"
            p -= 1
        bare = p
        while p >= 0 and words[p].upos == "ADJ":
            p -= 1
        heads = p >= 0 and (words[p].norm in lex.genitive or words[p].norm in lex.conjunctions
                            or (HEADLINE_PLACE and words[p].norm == lex.locative
                                and e.code.startswith(VIOLENT_ROOTS + CONSULT_ROOTS))
                            or any(p - len(m) + 1 >= 0 and _seq_at(words, p - len(m) + 1, m)
                                   for m in lex.between_markers)
                            or any(p - len(m) + 1 >= 0 and _seq_at(words, p - len(m) + 1, m)
                                   for m in lex.patient_markers)
                            or p < bare)
        return Trigger(e, i, end, end, headline=True) if ends and heads else None

    return _scan_nominals(words, lex, taken, lambda i: True, accept)


COPULAR_APPEAL = True  # "X نے کہا کہ Y سے اپیل ہے کہ …": the speaker appeals to Y
HEADLINE_QUOTE_DOER = True  # "… کی مذمت کرتے ہیں، ترجمان …", "… مطالبہ کریں گے، بنگلا دیش": the quoted speaker acts
HEADLINE_DEMONYM = True  # "شمالی غزہ میں اسرائیلی حملہ، …": the country right before a violent headline nominal
HEADLINE_PLACE = True  # "اسرائیلی فوج کی جنوبی لبنان میں بمباری، …", "ٹرمپ کی بائیڈن سے وائٹ ہاؤس میں ملاقات": a violent or
# a consult nominal after a place phrase heads it


STATEMENT_ROOT = "01"  # CAMEO "make public statement": utterances, each its own event
COOPERATIVE_QUAD = 2  # QuadClass 1-2 (verbal and material cooperation): not coded without Actor1 (a victim or a
# target named alone still says something; a meeting, an offer or aid from nobody known does not)
VIOLENT_ROOTS = ("18", "19", "20")  # assault, fight, mass violence: "… حملے میں" reports one
GENERIC_CONSULT = "040"  # consult, unspecified: folds into a call, visit or talks of the same pair (041-046)
CONSULT_ROOTS = ("04",)  # meet, talk, visit: "… سے ملاقات کے دوران" reports one


def _adverbial_triggers(words: list[Word], lex: Lexicon, taken: list[Trigger], cameo) -> list[Trigger]:
    """Nominals with no verb of their own that head an adverbial postposition (discourse.yaml adverbial_heads):
    "افغان سفیر سے ملاقات کے دوران", "نیٹو کے قافلے پر خودکش حملے میں": the event took place."""
    def accept(e: LexEntry, i: int, end: int, nxt: int) -> Trigger | None:
        heads = lex.adverbial_violent if e.code.startswith(VIOLENT_ROOTS) else \
            lex.adverbial_consult if e.code.startswith(CONSULT_ROOTS) else ()
        if any(_seq_at(words, nxt, m) for m in heads) and e.pattern not in lex.adverbial_states:
            return Trigger(e, i, end, end, adverbial=True)
        if e.code.startswith(VIOLENT_ROOTS) and any(_seq_at(words, nxt, m) for m in lex.adverbial_by) and \
                e.pattern not in lex.adverbial_states and any(
                    words[k].norm in lex.adverbial_by_results or words[k].lemma in lex.adverbial_by_results
                    for k in range(nxt + 1, next((k for k in range(nxt + 1, len(words))
                                                  if words[k].norm in lex.clause_breaks), len(words)))):
            # "غزہ پر اسرائیلی بمباری سے 38 فلسطینی شہید ہوگئے": an attack by which people died or buildings fell
            # (not "تشدد سے گریز": refraining from violence, nor "میزائلوں سے حملہ": the weapon of an attack)
            return Trigger(e, i, end, end, adverbial=True)
        return None

    return _scan_nominals(words, lex, taken, lambda i: not (i > 0 and words[i - 1].upos == "VERB"), accept,
                          whole_span_free=True)


def _unmarked_patient(words, t: Trigger, floor: int, lex, mentions, entities, exclude: set[str],
                      a1: list[Actor]) -> list[Actor]:
    """The victim of a violent act written without a case marker: in a passive, its subject ("دو شہری ہلاک کر دیے
    گئے"); with a marked agent, a name right before the nominal ("X نے دو کشمیری نوجوان شہید کر دیے", "X کے ہاتھوں دو
    نوجوان شہید")."""
    if t.passive and not a1:
        j = floor
        while j < t.first:
            if words[j].mention is not None:
                e = j
                while e + 1 < t.first and words[e + 1].mention == words[j].mention:
                    e += 1
                nxt = e + 1
                if nxt < t.first and (words[nxt].norm in lex.genitive or words[nxt].norm == lex.locative
                                      or any(_seq_at(words, nxt, m) for m in lex.patient_markers
                                             + lex.agent_markers + lex.according_to)
                                      or words[nxt].mention is not None):  # "فلسطینی شہری": the demonym modifies
                    j = nxt
                    continue
                a = _actor_from_mention(mentions[words[j].mention], entities, "unmarked", None)
                return [a] if a and a.entity_id not in exclude else []
            j += 1
        return []
    if not a1 or a1[0].method not in ("agent_marker", "title"):
        return []
    p = t.first - 1
    while p >= floor and words[p].norm in lex.particles:
        p -= 1
    if p >= floor and words[p].mention is not None:
        a = _actor_from_mention(mentions[words[p].mention], entities, "unmarked", None)
        return [a] if a and a.entity_id not in exclude else []
    return []


AID_ROOTS = ("07",)  # provide aid: "X کی ضروریات کی تکمیل کے لئے مدد دی" helps X
BENEFICIARY_GAP = 3  # words between a purpose and the aid nominal ("… کے لئے ہمیشہ مدد دی", "… کےلیے نمایاں مالی مدد")
BENEFICIARY_SPAN = 8  # words of the purpose phrase searched back for its possessor


def _beneficiary(words, t: Trigger, floor: int, lex, mentions, entities, exclude: set[str], ctx) -> list[Actor]:
    """"اس نے ہماری ضروریات کی تکمیل کے لئے مدد دی", "X نے Y کی صدارتی مہم کےلیے مالی مدد فراہم کی", "X کی ضروریات
    پوری کرنے میں مدد": aid given for a purpose (… کے لئے) or in an act (infinitive + میں) helps the possessor of
    that phrase; "ہماری / میری" in a report is the speaker's country / the speaker."""
    k = t.first - 1
    while k >= floor and t.first - k <= BENEFICIARY_GAP and not (
            words[k].norm in lex.purpose_heads or (words[k].norm == lex.locative and k - 1 >= floor and
                                                   words[k - 1].norm.endswith(lex.infinitive_endings))):
        if words[k].mention is not None or words[k].upos not in ("ADV", "ADJ", "PART") and \
                words[k].norm not in lex.particles:
            return []
        k -= 1
    if k < floor or t.first - k > BENEFICIARY_GAP:
        return []
    for j in range(k - 1, max(floor, k - BENEFICIARY_SPAN) - 1, -1):
        w = words[j]
        if w.norm == lex.ergative or w.norm in lex.clause_breaks or any(m == (w.norm,) for m in lex.patient_markers):
            return []
        if w.mention is None and (w.norm in lex.pron_our or w.norm in lex.pron_my):
            sp = _speaker_of(j, ctx)
            if sp is None:
                return []
            if w.norm in lex.pron_our and sp.country_code:
                ent = _country_entity(sp.country_code, entities)
                sp = _actor_from_entity(ent, "beneficiary", None) if ent else None
            return [replace(sp, method="beneficiary")] if sp and sp.entity_id not in exclude else []
        if w.norm in lex.genitive and j - 1 >= floor and words[j - 1].mention is not None:
            a = _actor_from_mention(mentions[words[j - 1].mention], entities, "beneficiary", None)
            return [a] if a and a.entity_id not in exclude else []
        if w.mention is not None:
            return []
    return []


OCCASION_WINDOW = 2  # sentences back that "اس موقع پر" (on this occasion) may reach for the act it refers to


def _occasion_pair(words, t: Trigger, floor: int, lex, ctx: "_Context | None") -> list[Actor]:
    """"دونوں اطراف نے تعلقات کا جائزہ لیا۔ اس موقع پر عالمی امور پر بھی تبادلہ خیال ہوا", "… کے درمیان ملاقات ہوئی۔
    ملاقات میں X اور Y کے معاملات پر تبادلہ خیال کیا گیا": an agentless meeting or talk opened by
    a reference to the occasion just told is between the two sides of the last act told both ways, in this or the
    sentences before; the names in it are topics, not sides. Not with an agent marker in the clause."""
    if ctx is None or not ctx.reciprocal or not t.entry.symmetric or not t.entry.code.startswith(CONSULT_ROOTS) \
            or t.adverbial or any(_seq_at(words, j, m) for m in lex.agent_markers for j in range(floor, t.first)):
        return []  # a named agent ("X اور Y نے ملاقات میں … تبادلہ خیال کیا") is the act's own
    # at the start of the clause, or right after "X کے مطابق" ("غیرملکی میڈیا کےمطابق ملاقات میں …")
    starts = set(range(floor, min(floor + 3, t.first))) | {
        j + len(acc) for j in range(floor, t.first) for acc in lex.according_to if _seq_at(words, j, acc)}
    if not any(_seq_at(words, j, o) for o in lex.occasions for j in starts if j < t.first):
        return []
    si, pair = ctx.reciprocal[-1]
    if ctx.si - si > OCCASION_WINDOW:
        return []
    return [replace(a, method="pronoun") for a in pair]


def _property_owners(words, t: Trigger, floor: int, lex, exclude: set[str], ctx: "_Context | None") -> list[Actor]:
    """"فوجیوں نے علاقے میں دو رہائشی مکانات بھی مسمار کر دیے", "X نے گھروں پر گولہ باری کی", "گھروں کا محاصرہ":
    homes, villages or property right before a violent nominal (over particles and one case marker) are the
    civilians' the article named last; not homes with an owner of their own ("سیاست دانوں کے گھروں") nor the
    attacker's own ("اپنے گھروں")."""
    if ctx is None or not ctx.owners:
        return []
    k = t.first - 1
    while k >= floor and words[k].norm in lex.particles:
        k -= 1
    if k > floor and (words[k].norm in lex.genitive or any(m == (words[k].norm,) for m in lex.patient_markers)):
        k -= 1
    while k >= floor and words[k].norm in lex.particles:
        k -= 1
    if k < floor or words[k].mention is not None or not (words[k].norm in lex.property or
                                                          words[k].lemma in lex.property):
        return []
    if k - 1 >= floor and words[k - 1].norm in lex.genitive or \
            any(words[j].norm in lex.reflexive for j in range(max(floor, k - 3), k)):
        return []
    a = ctx.owners[-1]
    return [replace(a, method="property")] if a.entity_id not in exclude else []


PLACE_PHRASE_MAX = 10  # words of a target place phrase ("لبنان کے دارالحکومت بیروت کے وسطی علاقے کو")


def _place_owner(words, t: Trigger, floor: int, lex, mentions, entities, exclude: set[str]) -> list[Actor]:
    """"اسرائیلی فوج نے لبنان کے دارالحکومت بیروت کے وسطی علاقے کو نشانہ بنایا", "حزب اللہ نے اسرائیلی شہر حیفا میں اہم
    اہداف کو … نشانہ بنایا": a target of a violent act that is a place or a thing, not a named actor, is the
    country (or the possessor) named inside its phrase: the nearest mention before the marker (discourse.yaml
    roles.place_target_markers) that is a country or a place, or is followed by a genitive, over at most
    PLACE_PHRASE_MAX words with no verb, subject or clause break."""
    j = next((k for k in range(t.first - 1, floor - 1, -1) if any(
        _seq_at(words, k, m) for m in lex.place_target_markers) or words[k].norm in lex.clause_breaks
              or words[k].norm == lex.ergative), None)
    if j is None or not any(_seq_at(words, j, m) for m in lex.place_target_markers):
        return []
    for k in range(j - 1, max(floor, j - PLACE_PHRASE_MAX) - 1, -1):
        w = words[k]
        if w.norm in lex.clause_breaks or w.norm == lex.ergative or (
                w.upos in ("VERB", "AUX") and w.norm not in lex.genitive and w.mention is None):
            return []
        if w.mention is None:
            continue
        a = _actor_from_mention(mentions[w.mention], entities, "place_owner", None)
        if a is None or not a.actor_code or a.entity_id in exclude:
            return []
        possessed = k + 1 < len(words) and words[k + 1].norm in lex.genitive
        return [a] if possessed or _country_like(a, entities) else []
    return []


POSSESSOR_PLACE_MAX = 6  # words between an attacker's genitive and its attack ("X کے دمشق کے رہائشی علاقے پر حملے")


def _attendees(words, t: Trigger, lex, mentions, entities, exclude: set[str], ctx) -> list[Actor]:
    """The agents of an attendance after a meeting in its sentence ("… اجلاس منعقد ہوا جس میں X، Y اور Z نے بھی
    شرکت کی"), one per actor code: those who attended met with the one who held the meeting."""
    for k in range(t.last + 1, len(words) - 1):
        if words[k].norm in lex.clause_breaks and words[k].norm not in lex.list_commas | lex.pron_relative:
            return []
        if words[k].norm not in lex.attendance or not lex.lemmas_of(words[k + 1]) & lex.verb_group_light_verbs:
            continue
        floor = max(t.last + 1, _clause_start(words, k, lex))
        erg = next((j for j in range(k - 1, floor - 1, -1) if words[j].norm == lex.ergative), None)
        # the persons listed before نے ("X، Y اور Z سمیت دیگر ارکان قومی اسمبلی نے"), else the agent phrase
        got = [a for j in range(floor, erg) if words[j].mention is not None and (j == floor or
               words[j - 1].mention != words[j].mention) and ((entities.get(mentions[words[j].mention]["entity_id"])
                                                              or {}).get("entity_type") or "").upper() == "PERSON"
               for a in [_actor_from_mention(mentions[words[j].mention], entities, "attendance", None)] if a] \
            if erg is not None else []
        got = got or _find_agent(words, _fake_trigger(k, lex), floor, lex, mentions, entities, exclude, ctx)
        out: dict[str | None, Actor] = {}
        for a in got:
            if a is not UNKNOWN_AGENT and a.entity_id not in exclude:
                out.setdefault(a.actor_code or a.entity_id, replace(a, method="attendance"))
        return list(out.values())
    return []


def _possessor_over_place(words, t: Trigger, floor: int, lex, mentions, entities, source_ids) -> list[Actor]:
    """"اسرائیلی فوج کی جنوبی لبنان میں بمباری", "اسرائیل کے دمشق کے رہائشی علاقے پر حملے": a possessor whose
    genitive is followed by a short phrase ending in پر/میں right before the nominal owns the act (at most POSSESSOR_PLACE_MAX
    words, no verb; "چین کے … علاقے سنکیانگ کی … کاؤنٹی میں تین مقامات پر … دھماکوں" is too long: a place)."""
    p = t.first - 1
    while p >= floor and (words[p].upos == "ADJ" or words[p].norm in lex.particles) and words[p].mention is None:
        p -= 1
    if p < floor or words[p].norm not in lex.adjunct_ends:
        return []
    for g in range(p - 1, max(floor, p - POSSESSOR_PLACE_MAX - 1), -1):
        w = words[g]
        if w.upos in ("VERB", "AUX") and w.norm not in lex.genitive:
            return []
        if w.norm in lex.genitive and g - 1 >= floor and words[g - 1].mention is not None:
            k = _mention_start(words, g - 1)
            if any(words[q].norm in lex.genitive for q in (k - 1,) if q >= floor):
                continue  # the possessor is itself possessed ("… کے دمشق کے"): keep looking left
            a = _actor_from_mention(mentions[words[g - 1].mention], entities, "possessor", None)
            return [a] if a and a.actor_code and a.entity_id not in source_ids else []
    return []


def _unattributed_target(words, t: Trigger, floor: int, lex, mentions, entities, source_ids) -> list[Actor]:
    """Actor2 of an adverbial attack with no attacker and no marked target (and none named for an earlier attack
    of the article, which "حملے میں" would mean, or named as the possessor before it): the people named right after
    it as killed or wounded (discourse.yaml adverbial_heads.victims: "… حملے میں 50 افراد ہلاک", "… کی ہلاکت"), else
    the country or place named before it in its clause ("چین کے … علاقے میں … دھماکوں کے نتیجہ میں"). Nothing when no
    one was hurt in it ("… کے قتل میں ملوث")."""
    end = next((k for k in range(t.last + 1, len(words)) if words[k].norm in lex.clause_breaks), len(words))
    if not any(words[k].norm in lex.adverbial_victims for k in range(t.last + 1, end)):
        return []  # "… کے قتل میں ملوث", "… حملے میں محفوظ رہے": no one was hurt in it, or it is not that attack
    victims = _adverbial_victims(words, t, lex, mentions, entities, source_ids)
    if victims:
        return victims
    for k in range(t.first - 1, floor - 1, -1):
        if words[k].mention is not None:
            ent = entities.get(mentions[words[k].mention].get("entity_id") or "") or {}
            if (ent.get("entity_type") or "").upper() in ("COUNTRY", "LOCATION", "GPE"):
                a = _actor_from_mention(mentions[words[k].mention], entities, "place", None)
                if a and a.actor_code and a.entity_id not in source_ids:
                    return [a]
    return []


def _adverbial_victims(words, t: Trigger, lex, mentions, entities, exclude: set[str]) -> list[Actor]:
    """The people named right after an adverbial attack as killed or wounded in it (discourse.yaml
    adverbial_heads.victims): "اسرائیلی حملوں میں 17 فلسطینی شہید", "حزب اللہ کے حملوں میں 8 اسرائیلی فوجی زخمی"."""
    end = next((k for k in range(t.last + 1, len(words)) if words[k].norm in lex.clause_breaks), len(words))
    for k in range(t.last + 1, end):
        if words[k].mention is not None and (k + 1 >= len(words) or words[k + 1].mention != words[k].mention):
            if k + 1 < end and words[k + 1].mention is not None:
                continue  # "اسرائیلی فوجی": a demonym before the group it names
            if any(words[q].norm in lex.adverbial_victims for q in range(k + 1, min(end, k + 4))):
                a = _actor_from_mention(mentions[words[k].mention], entities, "unmarked", None)
                if a and a.actor_code and a.entity_id not in exclude:
                    return [a]
    return []


def _attack_victims(words, t: Trigger, lex, mentions, entities, exclude: set[str]) -> list[Actor]:
    """Actor2 of an adverbial attack whose attacker is named: those killed or wounded in it (_adverbial_victims)."""
    return _adverbial_victims(words, t, lex, mentions, entities, exclude)


def _clash_sides(words, t: Trigger, lex, mentions, entities, source_ids: set[str], a2: list[Actor]
                 ) -> tuple[list[Actor], list[Actor]]:
    """"لبنان میں حزب اللہ کے ساتھ جھڑپوں میں 3 اسرائیلی فوجی ہلاک ہو گئے": those killed or wounded in a clash with X
    were hit by X (Actor1: X, Actor2: them); without them the clash is half an event, as before."""
    if not a2[0].method == "case:" + " ".join(WITH):
        return [], a2
    victims = _adverbial_victims(words, t, lex, mentions, entities, source_ids | {a.entity_id for a in a2})
    return ([replace(a, method="partner") for a in a2], victims) if victims else ([], a2)


def _participle_partner(words, t: Trigger, floor: int, lex, a1: list[Actor],
                        participled: list[tuple[int, set[str], list[Actor]]]) -> list[Actor]:
    """"جو بائیڈن نے ڈونلڈ ٹرمپ کو مبارکباد دیتے ہوئے ملاقات کی دعوت دی": a cooperative act with no Actor2 of its own,
    after a participle clause of the same doer ("… دیتے ہوئے") that had one, is done to the same partner."""
    for h, ids, y in reversed(participled):
        if h < t.first and h >= floor and ids & {a.entity_id for a in a1} and not any(
                words[k].norm in lex.clause_breaks for k in range(h, t.first)):
            return [replace(a, method="participle") for a in y if a.entity_id not in ids]
    return []


def _possessor_subject(words, t: Trigger, floor: int, lex, mentions, entities, ctx) -> list[Actor]:
    """"پاکستان کا چین کے ساتھ معاہدہ", "X کی Y سے ملاقات کے دوران": the possessor of a nominal whose own case-marked
    phrase (one of the trigger's markers) stands between them is its Actor1."""
    p = t.first - 1
    while p >= floor and words[p].upos == "ADJ" and words[p].mention is None:
        p -= 1
    for marker in t.entry.actor2_case:
        m0 = p - len(marker) + 1
        if marker == COMPLEMENT or m0 - 1 < floor or not _seq_at(words, m0, marker) or words[m0 - 1].mention is None:
            continue
        etype = ((entities.get(mentions[words[m0 - 1].mention].get("entity_id")) or {}).get("entity_type") or "")
        if etype.upper() == "AGENT":
            return []  # "X کے اہلکاروں سے": the genitive belongs to the group noun
        k = _mention_start(words, _coordinated(words, m0 - 1, lex, floor)[0]) - 1
        if k - 1 >= floor and words[k].norm in lex.genitive and words[k - 1].mention is not None:
            got = _resolve_phrase_end(words, k - 1, floor, lex, mentions, entities, "possessor", ctx)
            if any(a.entity_id == mentions[words[m0 - 1].mention].get("entity_id") for a in got):
                return []  # "تحریک انصاف کے منتظمین سے": one phrase (its members), not X's act with Y
            return [Actor(a.entity_id, a.actor_code, a.country_code, "possessor") for a in got]
    return []


def _adverbial_agent(words, t: Trigger, floor: int, lex, mentions, entities, source_ids, ctx) -> list[Actor]:
    """Actor1 of an adverbial nominal: an agent phrase right before it ("پولیس کی جانب سے فائرنگ کے نتیجے میں"), a name
    right before it ("اسرائیلی حملے میں"), the possessor of a fight or an attack ("حماس کے حملے میں"); for a
    non-violent nominal (a meeting, a visit) the subject of its clause, before it or after it ("X سے ملاقات کے بعد
    وزیر اعظم نے کہا"). The subject of the clause never attacks in an adverbial: "وزیر اعظم نے حملے کے نتیجے میں
    ہلاکتوں پر افسوس کا اظہار کیا". The possessor of an arrest or a killing is its victim (Actor2)."""
    p = t.first - 1
    while p >= floor and words[p].upos == "ADJ" and words[p].mention is None:
        p -= 1
    for marker in lex.agent_markers:
        m0 = p - len(marker) + 1
        if marker != (lex.ergative,) and m0 > floor and _seq_at(words, m0, marker):
            got = [a for a in _phrase_actors(words, m0, floor, lex, mentions, entities, "agent_marker", ctx)
                   if a.entity_id not in source_ids]
            return got
    if p >= floor and words[p].mention is not None:
        return _resolve_phrase_end(words, p, floor, lex, mentions, entities, "possessor", ctx)
    if (t.entry.code.startswith(("19", "20")) or t.entry.symmetric) and p - 1 >= floor and \
            words[p].norm in lex.genitive and words[p - 1].mention is not None:
        # "حماس کے حملے میں"; "پوتن اور کم جونگ کی ملاقات کے بعد" (a visit's possessor is its destination: Actor2)
        return _resolve_phrase_end(words, p - 1, floor, lex, mentions, entities, "possessor", ctx)
    if t.entry.code.startswith(VIOLENT_ROOTS):
        return []
    k = next((k for k in range(t.first - 1, floor - 1, -1) if words[k].norm == lex.ergative), None)
    if k is not None:
        return _phrase_actors(words, k, floor, lex, mentions, entities, "agent_marker", ctx)
    k = next((k for k in range(t.last + 1, len(words)) if words[k].norm == lex.ergative
              or words[k].norm in lex.clause_breaks), None)
    if k is not None and words[k].norm == lex.ergative:
        return _phrase_actors(words, k, t.last + 1, lex, mentions, entities, "agent_marker", ctx)
    return []


def _headline_demonym(words, t: Trigger, floor: int, lex, mentions, entities) -> list[Actor]:
    """"شمالی غزہ میں اسرائیلی حملہ، …": a country named right before a violent headline nominal, with no genitive
    (an adjective: "اسرائیلی"), is its doer."""
    p = t.first - 1
    while p >= floor and words[p].upos == "ADJ" and words[p].mention is None:
        p -= 1
    if p < floor or words[p].mention is None or (p + 1 < len(words) and words[p + 1].mention == words[p].mention
                                                  and p + 1 < t.first):
        return []
    if words[t.first].norm in lex.adverbial_victims or any(words[q].upos == "NUM" for q in range(max(0, p - 2), p)):
        return []  # "20 فلسطینی شہید": the number of those killed, not their attack
    a = _actor_from_mention(mentions[words[p].mention], entities, "headline", None)
    return [a] if a and a.actor_code and _country_like(a, entities) else []


def _headline_agent(words, t: Trigger, floor: int, lex, mentions, entities) -> list[Actor]:
    """The first possessor of a headline clause is the actor of its nominal: "چین کی امریکہ پر تنقید" -> China."""
    return _headline_possessor(words, t, floor, lex, mentions, entities)[1]


def _headline_possessor(words, t: Trigger, floor: int, lex, mentions, entities) -> tuple[int, list[Actor]]:
    """(index of the genitive, actors) of the first possessor of a headline clause; (-1, []) if none."""
    for j in range(max(floor, 1), t.first):
        if words[j].norm in lex.genitive and j + 1 < len(words) and words[j + 1].norm not in lex.genitive_non_actor \
                and not _title_after(words, j + 1, lex):
            got = _resolve_phrase_end(words, j - 1, floor, lex, mentions, entities, "headline")
            if got:
                return j, got
    return -1, []


def _headline_attacker(words, t: Trigger, g: int, floor: int, lex) -> bool:
    """Whether the possessor whose genitive is at ``g`` owns the headline's violent act (its Actor1) rather than
    suffering it ("صحافی کا قتل", "X کی رہائش گاہ پر حملہ": the victim): it does when a named place or target stands
    between it and the act ("اسرائیل کا بیروت پر حملہ", "X کی غزہ میں … بمباری، 38 فلسطینی شہید"), when what it
    owns is an attack in which others die ("حزب اللہ کے ڈرون حملے میں اسرائیلی فوجی ہلاک"), or when the target was
    named before it ("غزہ کے رہائشی ٹاور پر اسرائیل کا حملہ")."""
    p = t.first - 1
    while p > g and words[p].mention is None and (words[p].upos == "ADJ" or words[p].norm in lex.particles):
        p -= 1
    if p == g:
        return any(_seq_at(words, k, m) for k in range(floor, g) for m in t.entry.actor2_case
                   if m in lex.target_markers)
    if words[g + 1].mention is not None or words[g + 1].upos == "PROPN" or _known_place(words, g + 1):
        return True  # "اسرائیل کا بیروت پر حملہ", "اسرائیل کا شام کے … شہر پر": no one's place is a city
    for k in range(g + 1, p + 1):
        if words[k].norm in lex.adjunct_ends or any(_seq_at(words, k, m) for m in t.entry.actor2_case):
            if any(words[q].mention is not None or words[q].upos == "PROPN" for q in range(g + 1, k)):
                return True
            break
        if words[k].norm in lex.genitive:
            return False  # "X کے بیٹے کا قتل": X's son is the victim
        if any(e.code.startswith(VIOLENT_ROOTS) for e in lex.by_nominal.get(words[k].norm, ())) and k > g + 1:
            return True  # "X کے ڈرون حملے میں": X's attack
    return False


def _known_place(words: list[Word], i: int) -> str | None:
    """ISO3 of the place (agents.yaml places: بیروت، غزہ، تل ابیب) that words[i:] start with, whether or not the
    linker made it a mention."""
    from tasks.agents import _keys, load_agents
    places = load_agents().places
    for n in (3, 2, 1):
        if i + n <= len(words):
            key = _keys(" ".join(w.text for w in words[i:i + n]))
            if key in places:
                return places[key]
    return None


def _place_target(words: list[Word], end: int, floor: int, entities: dict[str, dict], method: str) -> list[Actor]:
    """"غزہ پر اسرائیلی بمباری", "حزب اللہ نے تل ابیب پر میزائل فائر کیا": a city or territory the linker left
    unlinked (agents.yaml places) as the target right before the nominal (only adjectives or a demonym between;
    not "بیروت پر حملوں کے ردعمل میں … نشانہ بنایا", another nominal's target): its country."""
    for n in (3, 2, 1):
        s = end - n + 1
        if s >= floor and all(w.mention is None for w in words[s:end + 1]) and _known_place(words, s) and \
                _known_place_len(words, s) == n:
            ent = _country_entity(_known_place(words, s), entities)
            return [_actor_from_entity(ent, method, None)] if ent else []
    return []


DEMONYM_THING_MAX = 3  # unlinked words between a demonym and the marker of what was hit ("اسرائیلی فوجی مرکز پر")


def _demonym_target(words: list[Word], end: int, floor: int, lex: Lexicon, mentions, entities, method: str
                    ) -> list[Actor]:
    """"اسرائیلی فوجی مرکز کو نشانہ بنایا", "امریکی بیس پر حملے میں": a thing of a country named by its demonym
    (unlinked nouns and adjectives after it, no genitive) is what an attack hits: the country is its target."""
    for n in range(1, DEMONYM_THING_MAX + 1):
        d = end - n
        if d < floor or any(w.mention is not None or w.upos not in ("NOUN", "ADJ", "PROPN", "VERB")
                            or w.norm in lex.genitive for w in words[d + 1:end + 1]):
            return []
        if words[d].mention is not None:
            s = _mention_start(words, d)
            if tuple(w.norm for w in words[s:d + 1]) not in lex.demonyms:
                return []
            a = _actor_from_mention(mentions[words[d].mention], entities, method, None)
            return [a] if a and _country_like(a, entities) else []
    return []


def _known_place_len(words: list[Word], i: int) -> int:
    from tasks.agents import _keys, load_agents
    places = load_agents().places
    return next((n for n in (3, 2, 1) if i + n <= len(words) and
                 _keys(" ".join(w.text for w in words[i:i + n])) in places), 0)


def _headline_victims(words, t: Trigger, lex, mentions, entities, exclude: set[str]) -> list[Actor]:
    """"… جھڑپ میں 6 اسرائیلی فوجی ہلاک": the people named right before a headline's death nominal suffered it."""
    p = t.first - 1
    while p >= 0 and words[p].norm in lex.particles:
        p -= 1
    if p < 0 or words[p].mention is None:
        return []
    s = _mention_start(words, p)
    if s > 0 and (words[s - 1].norm in lex.genitive or words[s - 1].mention is not None and
                  words[s - 1].mention != words[p].mention and s - 2 >= 0 and words[s - 2].norm in lex.genitive):
        return []  # "X کا حملہ": a possessor, not victims
    a = _actor_from_mention(mentions[words[p].mention], entities, "unmarked", None)
    return [a] if a and a.actor_code and a.entity_id not in exclude else []


def _headline_violence(words, t: Trigger, floor: int, lex, mentions, entities, a1: list[Actor], a2: list[Actor],
                       possessor: list[Actor]) -> tuple[list[Actor], list[Actor]]:
    """Actors of a headline's violent nominal (QuadClass 4). Its possessor is its victim ("صحافی کا قتل") unless it
    owns the act (_headline_attacker); the partner of a clash ("حزب اللہ کیساتھ جھڑپ میں 6 اسرائیلی فوجی ہلاک") is
    the attacker of those killed in it, who are Actor2 (_headline_victims)."""
    if a1 and a1 is possessor and not (a2 and a2[0].method.startswith("case:")):
        g = _headline_possessor(words, t, floor, lex, mentions, entities)[0]
        if g < 0 or not _headline_attacker(words, t, g, floor, lex):
            return [], a1
        a2 = a2 or _headline_victims(words, t, lex, mentions, entities, {a.entity_id for a in a1})
        return a1, a2
    if not a1 and a2 and a2[0].method == "case:" + " ".join(WITH):
        victims = _headline_victims(words, t, lex, mentions, entities, {a.entity_id for a in a2})
        if victims:
            return [replace(a, method="headline") for a in a2], victims
    return a1, a2


def _sentence_events(article, sent, words, mentions, entities, lex, cameo, ref, words_dw,
                     ctx: "_Context | None" = None, headline: bool = False) -> list[dict]:
    si = int(sent["sentence_index"])
    ctx = ctx if ctx is not None else _Context(entities, si=si)
    ctx.local, ctx.reports = [], []
    # persons named in the sentence: linked ones, and proper names the linker missed ("" stands for any of those)
    ctx.persons = [(w.i, mentions[w.mention]["entity_id"]) for w in words if w.mention is not None and (
        (entities.get(mentions[w.mention]["entity_id"]) or {}).get("entity_type") or "").upper() == "PERSON"]
    ctx.persons += _missed_names(words)
    _relative_spans(words, lex)
    # civilians named so far in the article: the owners of homes an attack hits ("… دو رہائشی مکانات مسمار کر دیے")
    for w in words:
        if w.mention is not None and (w.i == 0 or words[w.i - 1].mention != w.mention):
            a = _actor_from_mention(mentions[w.mention], entities, "property", None)
            if a and a.actor_code and lex.property_owners and a.actor_code.endswith(lex.property_owners):
                ctx.owners.append(a)
    # "وزیر اعظم نواز شریف": a person named after a title, for a later bare "وزیراعظم نے"
    for w in words:
        if w.mention is not None and (w.i == 0 or words[w.i - 1].mention != w.mention) and w.i > 0 and (
                (entities.get(mentions[w.mention]["entity_id"]) or {}).get("entity_type") or "").upper() == "PERSON":
            tt = _title_before(words, w.i - 1, lex)
            a = _actor_from_mention(mentions[w.mention], entities, "title", None)
            if tt and a and a.actor_code:
                ctx.titled.append(("".join(tt[0].words), a))
    # "X اور Y" / "X، Y کے درمیان": pairs named together, for a later "دونوں ممالک"
    for j in range(1, len(words) - 1):
        if (words[j].norm or words[j].text) in lex.coordinators and words[j - 1].mention is not None \
                and words[j + 1].mention is not None and words[j - 1].mention != words[j + 1].mention:
            x = _actor_from_mention(mentions[words[j - 1].mention], entities, "pronoun", None)
            y = _actor_from_mention(mentions[words[j + 1].mention], entities, "pronoun", None)
            if x and y and x.entity_id != y.entity_id:
                ctx.pairs.append((si, j, [x, y]))
    # "پاکستان کی جانب سے سیکرٹری X اور لٹویا کی طرف سے انڈر سیکرٹری Y نے": two titled phrases joined by اور before
    # نے are the pair (X and Y, not X and لٹویا, the words next to اور)
    for j in range(1, len(words)):
        if words[j].norm == lex.ergative and words[j - 1].mention is not None:
            got = _resolve_phrase_end(words, j - 1, _clause_start(words, j, lex), lex, mentions, entities, "pronoun")
            if len(got) == 2 and got[0].entity_id != got[1].entity_id:
                ctx.pairs.append((si, j, got))
    sources = _sources(words, lex, mentions, entities)
    source_ids = {s for _, s in sources}
    neither_at = [j for j in range(len(words)) for p in lex.neither_nor if _seq_at(words, j, p)]
    _find_reports(words, lex, mentions, entities, ctx, headline)
    # "اگر … تو …", "حملے کی صورت میں …": from the marker to the end of its scope
    cond_scopes = []
    for j in range(len(words)):
        for p in lex.conditional:
            if _seq_at(words, j, p):
                end = next((k for k in range(j + len(p), len(words)) if words[k].norm in lex.conditional_ends),
                           len(words))
                cond_scopes.append((j, end))
    # "X نے Y پر زور دیا کہ وہ … فراہم کرے": what an appeal or a demand asks for has not happened (not coded); what
    # a promise promises is intended
    requested: list[tuple[int, str]] = []
    # "X نے الزام لگایا کہ …": the کہ-clause is the allegation's content (alleged), X its source; "X نے دعویٰ کیا کہ
    # …": what X claims is reported by X (asserted, X its source)
    alleging: list[tuple[int, str | None, bool]] = []
    for i, w in enumerate(words):
        alleged = w.norm in lex.alleging_nominals or w.lemma in lex.alleging_nominals
        if alleged or w.norm in lex.claim_nominals or w.lemma in lex.claim_nominals:
            k = next((k for k in range(i + 1, min(i + 6, len(words))) if words[k].norm in lex.complementizers), None)
            if k is None:
                continue
            fake = _fake_trigger(i, lex)
            floor = _clause_start(words, i, lex)
            who = _find_agent(words, fake, floor, lex, mentions, entities, source_ids, ctx)
            if not who and i - 1 > floor and words[i - 1].norm in lex.genitive:
                who = _phrase_actors(words, i - 1, floor, lex, mentions, entities, "possessor", ctx)
            who = [a for a in who if a is not UNKNOWN_AGENT]
            alleging.append((k + 1, who[0].entity_id if who else None, alleged))
    parts = _participles(words, lex)
    triggers = find_triggers(words, lex)
    if headline:
        triggers = sorted(triggers + _headline_triggers(words, lex, triggers), key=lambda t: t.first)
    triggers = sorted(triggers + _adverbial_triggers(words, lex, triggers, cameo), key=lambda t: t.first)
    for t in triggers:
        root = t.entry.code[:2]
        if root in REQUEST_ROOTS or root in PROMISE_ROOTS:
            k = next((k for k in range(t.last + 1, min(t.last + 4, len(words)))
                      if words[k].norm in lex.complementizers), None)
            if k is not None:
                requested.append((k + 1, "embedded" if root in REQUEST_ROOTS else "intended"))
    # (not "دکھانا چاہتے ہیں کہ": wanting to do something oneself; not "نہیں چاہتے کہ": not wanting it)
    wants = [(k, c) for k in range(len(words)) if words[k].norm in lex.want_forms and not (k > 0 and (
                words[k - 1].norm in lex.negation or words[k - 1].norm.endswith(lex.infinitive_endings)))
             for c in [next((c for c in range(k + 1, min(k + 4, len(words))) if words[c].norm in lex.complementizers),
                            None)] if c is not None]
    requested += [(c + 1, "embedded") for _, c in wants]  # "X چاہتا ہے کہ Y … کرے": what X wants has not happened
    demands = _demands(words, lex, mentions, entities, ctx, cond_scopes, source_ids)
    requested += [(r.start, "embedded") for r, *_ in demands]  # "X نے کہا کہ Y … فراہم کرے": demanded, not done
    for t in triggers:
        for c, how in requested:
            if t.first >= c:
                if how == "embedded":
                    t.embedded = True
                elif t.modality in ("asserted", "future"):
                    t.modality = "intended"
    dates = dates_mod.find_dates(sent["text"], words_dw)
    sent_off = int(sent["start_char"])
    out: list[dict] = []
    stated: set[int] = set()  # first words of the triggers that gave an asserted, future or intended event
    participled: list[tuple[int, set[str], list[Actor]]] = []  # (participle, Actor1 ids, Actor2s) of "… کرتے ہوئے"
    acted: list[tuple] = []  # (first word, clause start, Actor1s, date, source) of those triggers
    for t in triggers:
        if t.embedded:
            continue
        if t.first > 0 and words[t.first].norm in lex.display_nominals and words[t.first - 1].norm in lex.genitive:
            continue  # "تحمل کا مظاہرہ کریں": a display of restraint, not a demonstration
        nxt = t.last + 1
        if nxt + 1 < len(words) and words[nxt].norm in lex.participle_markers and \
                not words[t.last].norm.endswith(lex.participle_endings) and \
                words[nxt + 1].upos in ("NOUN", "PROPN", "ADJ"):
            continue  # "طالبان سے ملے ہوئے پولیس اہلکار": an adjectival participle describes, it reports no event
        floor = _clause_start(words, t.first, lex)
        src = next((s for at, s in reversed(sources) if at <= t.first), None)
        date_floor = 0
        for r in ctx.reports:
            if r.start <= t.first < r.end:
                if r.start > 0:
                    date_floor = r.start  # a date before "کہا" dates the report, not the event
                if r.speaker is not None and r.speaker is not UNKNOWN_AGENT:
                    src = r.speaker.entity_id
                floor = max(floor, r.start)
        a1 = _adverbial_agent(words, t, floor, lex, mentions, entities, source_ids, ctx) if t.adverbial else \
            _find_agent(words, t, floor, lex, mentions, entities, source_ids, ctx)
        if t.carrier is not None and not a1:
            # "… فراہم کرنے کےلئے وفاقی انتظامیہ نے ہر ممکن اقدامات کر لئے": the one who took the steps, after it
            k = next((k for k in range(t.last + 1, t.carrier) if words[k].norm == lex.ergative), None)
            a1 = (_phrase_actors(words, k, t.last + 1, lex, mentions, entities, "agent_marker", ctx)
                  or [UNKNOWN_AGENT]) if k is not None else [UNKNOWN_AGENT]
        possessor: list[Actor] = []
        closes = next((h for h in parts if t.last < h <= t.last + 2), None)  # "… بات چیت کرتے ہوئے"
        if not a1 and closes is not None:
            # "X سے بات چیت کرتے ہوئے وزیر اعظم نے …": the participle's subject is the main clause's, after it
            k = next((k for k in range(closes + 1, len(words)) if words[k].norm == lex.ergative
                      or words[k].norm in lex.clause_breaks), None)
            if k is not None and words[k].norm == lex.ergative:
                a1 = _phrase_actors(words, k, closes + 1, lex, mentions, entities, "agent_marker", ctx) \
                    or [UNKNOWN_AGENT]
        if a1 == [UNKNOWN_AGENT]:
            a1 = []  # an agent is marked but unlinked: no fallback may guess another one
        elif not a1:
            if t.entry.symmetric:
                a1 = _find_between(words, t, floor, lex, mentions, entities, ctx)
            if not a1 and not t.headline:
                a1 = _possessor_subject(words, t, floor, lex, mentions, entities, ctx)
            if not a1 and t.headline:
                a1 = possessor = _headline_agent(words, t, floor, lex, mentions, entities)
                if not a1 and HEADLINE_DEMONYM and t.entry.code.startswith(VIOLENT_ROOTS):
                    a1 = _headline_demonym(words, t, floor, lex, mentions, entities)
            elif not a1 and not t.passive and not t.adverbial:
                a1 = _find_nominative(words, t, floor, lex, mentions, entities, source_ids, ctx)
                if a1 == [UNKNOWN_AGENT]:
                    a1 = []
                elif not a1 and t.modality in SPEAKER_PLANS:
                    # "اوباما نے کہا کہ داعش کے خلاف فضائی حملے جاری رہیں گے": an act a speaker announces, with no
                    # doer named, is the speaker's own plan
                    sp = _speaker_of(t.first, ctx)
                    a1 = [replace(sp, method="speaker")] if sp is not None else []
                elif not a1 and COPULAR_APPEAL and t.entry.code.startswith(REQUEST_ROOTS) and \
                        words[t.verb].norm in lex.copula_forms:
                    # "X نے کہا کہ پاکستانی حکام سے اپیل ہے کہ …": an appeal or a demand that "is" (no doer named) in
                    # a report is its speaker's
                    sp = _speaker_of(t.first, ctx)
                    a1 = [replace(sp, method="speaker")] if sp is not None else []
                elif not a1 and HEADLINE_QUOTE_DOER and t.modality == "asserted" and _headline_quote(t.first, ctx):
                    # "پاکستان میں دہشتگرد حملوں کی مذمت کرتے ہیں، ترجمان …": a headline quoting its speaker with a
                    # subjectless verb is the speaker's own act (first person, dropped)
                    sp = _speaker_of(t.first, ctx)
                    a1 = [replace(sp, method="speaker")] if sp is not None else []
        a1 = _state_voice(a1, t.first, ctx)
        if a1:
            ctx.local.append((t.first, a1[0]))
        exclude = {a.entity_id for a in a1}
        # the objects of a participle clause before the trigger are not its own
        p_floor = max([h for h in parts if floor <= h < t.first], default=floor)
        pt = t
        if t.adverbial:
            # an adverbial nominal's own phrase starts after the last verb or subject before it, and "X کو" is the
            # main verb's object ("امریکا کو جنگ میں دھکیل رہے ہیں")
            p_floor = max([p_floor] + [k for k in range(p_floor, t.first) if words[k].upos in ("VERB", "AUX")
                                       or words[k].norm == lex.ergative])
            pt = replace(t, entry=replace(t.entry, actor2_case=tuple(
                m for m in t.entry.actor2_case if not (len(m) == 1 and m[0] in lex.goal_markers))))
        a2 = _find_patient(words, pt, p_floor, lex, mentions, entities, exclude, source_ids, ctx)
        if a2 == [OWN]:
            a2 = [replace(a1[0], method="reflexive")] if a1 and a1[0] is not UNKNOWN_AGENT else []
        if closes is not None and a1 and a2:
            participled.append((closes, {a.entity_id for a in a1}, a2))
        if not a2 and a1 and lookup(t.entry.code, cameo).quad_class <= COOPERATIVE_QUAD and \
                not t.entry.code.startswith(STATEMENT_ROOT):
            a2 = _participle_partner(words, t, floor, lex, a1, participled)
        if not a2 and a1 and t.entry.code.startswith(CONSULT_ROOTS) and not t.entry.symmetric:
            # "X کی زیر صدارت اجلاس ہوا جس میں Y اور Z نے شرکت کی": those who attended met with its chair
            a2 = _attendees(words, t, lex, mentions, entities, exclude | source_ids, ctx)
        if not a2 and t.entry.code.startswith(VIOLENT_ROOTS) and not t.adverbial:
            a2 = _unmarked_patient(words, t, p_floor, lex, mentions, entities, exclude | source_ids, a1)
        if not a2 and a1 and t.entry.code.startswith(VIOLENT_ROOTS):
            a2 = _property_owners(words, t, p_floor, lex, exclude | source_ids, ctx)
        if not a2 and a1 and t.entry.code.startswith(VIOLENT_ROOTS) and not t.adverbial:
            a2 = [a for a in _place_owner(words, t, p_floor, lex, mentions, entities, exclude | source_ids)
                  if not (a.country_code and a.country_code == a1[0].country_code)]
        if not a2 and a1 and t.entry.code.startswith(AID_ROOTS):
            a2 = _beneficiary(words, t, p_floor, lex, mentions, entities, exclude | source_ids, ctx)
        if a1 and t.entry.code.startswith(VIOLENT_ROOTS):
            ctx.attacker_named = True
        if not a1 and a2 and t.entry.symmetric and not t.adverbial and not t.headline and \
                words[t.verb].norm in lex.copula_forms and a2[0].method.startswith("case:"):
            # "X نے بتایا کہ زرداری سے گفتگو ہوئی": a talk or a meeting "that took place" with Y, in X's report, is X's
            sp = _speaker_of(t.first, ctx)
            if sp is not None and sp.entity_id not in {a.entity_id for a in a2}:
                a1 = [Actor(sp.entity_id, sp.actor_code, sp.country_code, "speaker")]
        if not a1 and t.adverbial and t.entry.code.startswith(VIOLENT_ROOTS) and not t.entry.symmetric:
            # "اسرائیل کے دمشق کے رہائشی علاقے پر حملے میں": the possessor before a short place phrase is the attacker
            a1 = _possessor_over_place(words, t, floor, lex, mentions, entities, source_ids | {
                a.entity_id for a in a2})
            if not a2 and (a1 or not ctx.attacker_named):
                # "پکتیا میں خودکش حملے میں 50 افراد ہلاک": an attack nobody is named for (or named as that possessor);
                # its victims, else its place
                a2 = _unattributed_target(words, t, floor, lex, mentions, entities, source_ids | {
                    a.entity_id for a in a1})
        elif a1 and not a2 and t.adverbial and t.entry.code.startswith(VIOLENT_ROOTS) and not t.entry.symmetric:
            # "حزب اللہ کے حملوں میں 8 اسرائیلی فوجی زخمی": an attacker's attack hurts those named right after it
            a2 = _attack_victims(words, t, lex, mentions, entities, source_ids | {a.entity_id for a in a1})
        elif not a1 and a2 and t.adverbial and t.entry.code.startswith(VIOLENT_ROOTS) and t.entry.symmetric:
            a1, a2 = _clash_sides(words, t, lex, mentions, entities, source_ids, a2)
        if t.headline and lookup(t.entry.code, cameo).quad_class == 4:
            # "صحافی کا قتل": the possessor of a material-conflict noun is its victim; "اسرائیل کا بیروت پر حملہ": not
            a1, a2 = _headline_violence(words, t, floor, lex, mentions, entities, a1, a2, possessor)
        occasion = _occasion_pair(words, t, floor, lex, ctx)
        if occasion:
            a1, a2 = occasion, []  # "اس موقع پر … پر تبادلہ خیال ہوا": the two sides of the act just told
        if t.entry.needs_actor2 and not a2:
            continue
        if t.adverbial and t.entry.symmetric and not (a1 and (a2 or len(a1) > 1)):
            continue  # "X کے ساتھ جھڑپوں میں": a clash or a meeting of X with someone unnamed is half an event
        if not a1 and not a2:
            continue
        if not a1 and lookup(t.entry.code, cameo).quad_class <= COOPERATIVE_QUAD:
            continue  # "… کو پیشکش کی جائے", "X سے ملاقات کی" with its doer unlinked: a cooperative act is its doer's
        pairs: list[tuple[Actor | None, Actor | None]]
        if not a2 and len(a1) >= 2 and (t.entry.symmetric or (
                all(a.both for a in a1) and lookup(t.entry.code, cameo).quad_class <= COOPERATIVE_QUAD)):
            # "دونوں اطراف نے تعلقات کا جائزہ لیا": what both sides do together in cooperation they do with each other
            pairs = [(x, y) for x in a1 for y in a1 if x.entity_id != y.entity_id]
        else:
            pairs = [(x, y) for x in (a1 or [None]) for y in (a2 or [None])
                     if not (x and y and x.entity_id == y.entity_id and y.method != "reflexive")]
            if t.entry.symmetric and a1 and a2 and a1[0].method in ("possessor", "headline") and \
                    a2[0].method.startswith("case:"):
                # "پاکستان کا چین کے ساتھ معاہدہ": an agreement, a meeting or a clash of X with Y is Y's with X too
                pairs += [(y, x) for x, y in pairs]
        negated = t.negated or any(floor <= j < t.first for j in neither_at)
        modality = t.modality
        # "مبینہ طور پر" anywhere in the clause before the trigger; "ممکنہ حملہ" right before the nominal
        if any(words[k].norm in lex.alleged_words for k in range(floor, t.first)):
            modality = "alleged"
        elif modality == "asserted" and any(words[k].norm in lex.possible_words
                                            for k in range(max(floor, t.first - 2), t.first)):
            modality = "possible"
        if modality != "alleged" and any(c < t.first < e for c, e in cond_scopes):
            modality = "conditional"
        for c, accuser, alleged in alleging:
            if t.first >= c:
                modality = "alleged" if alleged else modality
                src = accuser or src
        start_c = words[t.first].start
        end_c = words[t.first + len(t.entry.pattern) - 1].end if t.coordinated or t.headline else words[t.verb].end
        when = _event_date(dates, sent_off, start_c - sent_off, words[floor].start - sent_off, ref,
                           words[date_floor].start - sent_off if date_floor else None)
        code = lookup(t.entry.code, cameo)
        conf = 0.5 + (0.15 if a1 and a1[0].method in ("agent_marker", "title") else 0) \
            + (0.15 if a2 and a2[0].method.startswith("case:") else 0) + (0.1 if t.parse_ok else 0)
        if a1 and a1[0].method in ("pronoun", "zero_subject"):
            conf *= PRONOUN_CONFIDENCE
        if t.headline:
            conf = min(conf, 0.6)
        trigger_text = (article.get("text") or "")[start_c:end_c] or " ".join(
            w.text for w in words[t.first:t.verb + 1])
        if a1 and modality in STATED_MODALITIES and not negated:
            both_ways = [[x, y] for x, y in pairs if x and y and any(
                p[0] and p[1] and p[0].entity_id == y.entity_id and p[1].entity_id == x.entity_id for p in pairs)]
            if both_ways:
                ctx.reciprocal.append((si, both_ways[0]))
            stated.add(t.first)
            acted.append((t.first, floor, a1, when, src))
        for x, y in pairs:
            out.append(_event_row(article, si, _repression(code, x, y, words, t, lex, cameo), x, y, start_c, end_c,
                                  when, trigger_text, bool(negated),
                                  modality, src, round(min(conf, 0.95) * (0.8 if x is None else 1.0), 3)))
    out += _on_request_events(article, si, words, lex, mentions, entities, cameo, acted, ctx)
    out += _want_events(article, si, words, lex, mentions, entities, cameo, ctx, wants, dates, sent_off, ref,
                        source_ids)
    seen: set[tuple] = set()
    deduped = []
    for row in out:  # "ملاقات اور بات چیت کی": one event per actor pair and code in a sentence
        k = (row["actor1_entity_id"], row["actor2_entity_id"], row["event_code"], row["is_negated"], row["modality"])
        if k not in seen:
            seen.add(k)
            deduped.append(row)
    out = deduped
    # "X نے کہا کہ …" with nothing codable in the report: X made a statement (010), unless X is a news outlet.
    for r in ctx.reports:
        x = r.speaker
        if x is None or x is UNKNOWN_AGENT or any(r.start <= f < r.end for f in stated):
            continue
        if r.verb > 0 and words[r.verb - 1].norm in lex.negation:
            continue  # "روسی صدر نے یہ نہیں بتایا کہ …": he did not say
        if x.actor_code and x.actor_code.endswith("MED"):
            continue
        rv = r.verb
        floor = _clause_start(words, rv, lex)
        floor = max([h for h in parts if floor <= h < rv], default=floor)
        a2 = _find_patient(words, _fake_trigger(rv, lex), floor, lex, mentions, entities, {x.entity_id}, source_ids)
        y = a2[0] if a2 else None
        code = lookup("010", cameo)
        start_c, end_c = words[rv].start, words[rv].end
        when = _event_date(dates, sent_off, start_c - sent_off, words[floor].start - sent_off, ref)
        conf = 0.5 * (PRONOUN_CONFIDENCE if x.method in ("pronoun", "zero_subject") else 1.0)
        out.append(_event_row(article, si, code, x, y, start_c, end_c, when, words[rv].text, False, "asserted",
                              next((s for _, s in sources), None), round(conf, 3)))
    out += _appeals(article, si, words, lex, mentions, entities, cameo, ctx, dates, sent_off, ref)
    out += _speech_act_events(article, si, words, lex, mentions, entities, cameo, ctx, demands, dates, sent_off, ref,
                              source_ids)
    # "X کے مطابق …" with nothing codable after it (and no statement of X's already): X made a statement (010)
    said = {r.speaker.entity_id for r in ctx.reports if r.speaker is not None and r.speaker is not UNKNOWN_AGENT}
    for j, x in _according(words, lex, mentions, entities) if sources else ():
        scope = max(0, j - 6)
        if x.entity_id in said or any(f >= scope for f in stated) or (x.actor_code or "").endswith("MED"):
            continue
        said.add(x.entity_id)
        start_c, end_c = words[j].start, words[j + len(lex.according_to[0]) - 1].end
        when = _event_date(dates, sent_off, start_c - sent_off, words[scope].start - sent_off, ref)
        out.append(_event_row(article, si, lookup("010", cameo), Actor(x.entity_id, x.actor_code, x.country_code,
                                                                      "source"), None, start_c, end_c, when,
                              (article.get("text") or "")[start_c:end_c], False, "asserted", x.entity_id, 0.45))
    # subjects inside a report's content ("X نے کہا کہ حکومت …") are the speaker's words: a later "انہوں نے" is X
    for pos, a in sorted(ctx.local, key=lambda x: x[0]):
        if not any(r.start <= pos < r.end for r in ctx.reports):
            ctx.history.append((si, a))
    return out


def _want_events(article, si, words, lex, mentions, entities, cameo, ctx, wants, dates, sent_off, ref,
                 source_ids) -> list[dict]:
    """"پاکستان چاہتا ہے کہ امریکا … اخراجات کی ادائیگی جاری رکھے": X wanting Y to act is X's appeal (020) to Y (the
    unmarked subject of the کہ-clause, when named); the wanted act itself is not coded (see ``requested``)."""
    out = []
    for k, c in wants:
        floor = _clause_start(words, k, lex)
        fake = _fake_trigger(k, lex)
        xs = _find_agent(words, fake, floor, lex, mentions, entities, source_ids, ctx) or \
            _find_nominative(words, fake, floor, lex, mentions, entities, source_ids, ctx)
        xs = _state_voice([a for a in xs if a is not UNKNOWN_AGENT], k, ctx)
        if not xs:
            continue  # an appeal from no one known is not coded (COOPERATIVE_QUAD)
        v = next((j for j in range(c + 1, len(words)) if words[j].upos in ("VERB", "AUX")), None)
        ys = _find_nominative(words, _fake_trigger(v, lex), c + 1, lex, mentions, entities, source_ids, None) \
            if v is not None else []
        y = next((a for a in ys if a is not UNKNOWN_AGENT and a.entity_id != xs[0].entity_id), None)
        start_c, end_c = words[k].start, words[k].end
        when = _event_date(dates, sent_off, start_c - sent_off, words[floor].start - sent_off, ref)
        src = _speaker_of(k, ctx)
        out.append(_event_row(article, si, lookup(APPEAL_CODE, cameo), xs[0], y, start_c, end_c, when,
                              words[k].text, False, "asserted", src.entity_id if src else None, 0.45))
    return out


APPEAL_CODE = "020"  # "X نے کہا کہ … ہونے چاہییں": what a speaker says should be done is an appeal


def _appeals(article, si, words, lex, mentions, entities, cameo, ctx, dates, sent_off, ref) -> list[dict]:
    """"انہوں نے کہا کہ مسئلے کے حل کے لیے پرامن مذاکرات ہونے چاہییں": a report whose content says what should be done
    (discourse.yaml modality.should) is the speaker's appeal (020); to the clause's کو-phrase or unmarked subject when
    it is named ("X نے کہا کہ وزیراعظم کو مستعفی ہو جانا چاہیے"), else to no one named."""
    out = []
    for r in ctx.reports:
        x = r.speaker
        if x is None or x is UNKNOWN_AGENT or (x.actor_code or "").endswith("MED"):
            continue
        k = next((k for k in range(r.start, r.end) if words[k].norm in lex.should), None)
        if k is None:
            continue
        floor = max(r.start, _clause_start(words, k, lex))
        ys = _find_nominative(words, _fake_trigger(k, lex), floor, lex, mentions, entities, {x.entity_id}, None)
        if not ys or ys[0] is UNKNOWN_AGENT:
            ys = [a for j in range(floor, k) if _seq_at(words, j, (lex.goal_markers_first,))
                  for a in _resolve_phrase_end(words, j - 1, floor, lex, mentions, entities, "case:کو")][:1]
        y = next((a for a in ys if a is not UNKNOWN_AGENT and a.entity_id != x.entity_id), None)
        start_c, end_c = words[k].start, words[k].end
        when = _event_date(dates, sent_off, start_c - sent_off, words[floor].start - sent_off, ref)
        code = _content_code(words, floor, k, lex.speech_acts.get("appeal_content", {}), APPEAL_CODE)
        out.append(_event_row(article, si, lookup(code, cameo), x, y, start_c, end_c, when, words[k].text,
                              False, "asserted", x.entity_id, 0.45))
    return out


def _repression(code: CameoCode, x: Actor | None, y: Actor | None, words: list[Word], t: Trigger, lex: Lexicon,
                cameo) -> CameoCode:
    """"پولیس نے مظاہرین پر فائرنگ کی", "پولیس نے براہ راست فائرنگ کردی": force used by the police on civilians or
    protesters, or on no one named, is violent repression (CAMEO 175), not fighting; "جوابی فائرنگ" (returning fire)
    and an armed target stay fighting (discourse.yaml repression)."""
    rep = lex.repression
    if code.code not in rep["codes"] or x is None or (x.actor_code or "")[3:6] not in rep["by"]:
        return code
    if y is not None and (y.actor_code or "")[3:6] not in rep["on"]:
        return code
    if t.first > 0 and words[t.first - 1].norm in rep["not_after"]:
        return code
    return lookup(rep["to"], cameo)


def _on_request_events(article, si, words, lex, mentions, entities, cameo, acted, ctx) -> list[dict]:
    """"انہوں نے عراقی حکومت کی درخواست پر … امداد کی اجازت دی", "مودی کی دعوت پر بھارت کا دورہ کیا": an act done at
    Y's request or invitation (discourse.yaml on_request) reports Y's request or invitation to the act's Actor1."""
    out = []
    n = len(lex.on_request_marker)
    for j in range(2, len(words) - 1):
        code = lex.on_request.get(words[j].norm)
        if code is None or words[j - 1].norm not in lex.genitive or words[j - 2].mention is None:
            continue
        if _seq_at(words, j + 1, lex.on_request_marker):
            act = next((a for a in acted if a[0] > j and a[1] <= j - 2), None)  # the first act after it in its clause
        else:
            # "عدالت نے ملزمان کی درخواست ضمانت منظور کر لی": a request decided by the act named right after it (a
            # petition granted or dismissed) was made to the act's Actor1
            act = next((a for a in acted if a[0] == j + 1), None) if code == APPEAL_CODE else None
        if act is None:
            continue
        first, floor, doers, when, src = act
        requesters = _resolve_phrase_end(words, j - 2, floor, lex, mentions, entities, "possessor", ctx)
        ids = {a.entity_id for a in doers}
        for y in requesters:
            if y.entity_id in ids:
                continue
            for x in doers:
                out.append(_event_row(article, si, lookup(code, cameo), y, Actor(x.entity_id, x.actor_code,
                                      x.country_code, "case:" + " ".join(lex.on_request_marker)),
                                      words[j].start, words[j + n].end, when,
                                      (article.get("text") or "")[words[j].start:words[j + n].end], False,
                                      "asserted", src, 0.5))
    return out


def _event_row(article: dict, si: int, code: CameoCode, x: Actor | None, y: Actor | None, start_c: int, end_c: int,
               when: "dates_mod.ResolvedDate | None", trigger_text: str, negated: bool, modality: str,
               source: str | None, confidence: float) -> dict:
    """One row of the ``events`` table: actor1 ``x`` does ``code`` to actor2 ``y`` at [start_c, end_c)."""
    ev_date = when.date if when else None
    return {
        "event_id": stable_id("ev", article["article_id"], si, start_c, end_c, x and x.entity_id,
                              y and y.entity_id, code.code),
        "article_id": article["article_id"], "sentence_index": si,
        "event_date": ev_date, "date_precision": when.precision if when else None,
        "actor1_entity_id": x and x.entity_id, "actor1_code": x and x.actor_code,
        "actor1_country_code": x and x.country_code, "actor1_method": x and x.method,
        "actor2_entity_id": y and y.entity_id, "actor2_code": y and y.actor_code,
        "actor2_country_code": y and y.country_code,
        "event_code": code.code, "event_root_code": code.root, "quad_class": code.quad_class,
        "goldstein_scale": code.goldstein, "plover_type": code.plover_type,
        "trigger_text": trigger_text, "start_char": start_c, "end_char": end_c, "is_negated": negated,
        "modality": modality, "source_entity_id": source,
        "event_key": _event_key(article["article_id"], x and x.entity_id, y and y.entity_id, code.code, ev_date),
        "confidence": confidence,
    }


def _event_key(article_id: str, actor1: str | None, actor2: str | None, code: str, ev_date: date | None) -> str:
    """Same actors, code and date share a key across articles. Without a date nothing says two reports are the same
    event, so an undated event shares its key only within its article."""
    if ev_date is not None:
        return stable_id("ek", actor1, actor2, code, ev_date.isoformat())
    return stable_id("ek", actor1, actor2, code, None, article_id)


def _event_date(dates: list, sent_off: int, trig_rel: int, clause_rel: int, ref: "dates_mod.Reference | None",
                report_rel: int | None = None):
    """Nearest date expression in the trigger's clause, else before it in the sentence, else after it, else the
    article reference date (precision 'article'). Dates before ``report_rel`` date a report verb, not the event."""
    resolved = [(d, dates_mod.resolve_date(d, ref.date if ref else None, after=bool(ref and ref.from_text)))
                for d in dates if report_rel is None or d.start >= report_rel]
    resolved = [(d, r) for d, r in resolved if r is not None]
    in_clause = [(d, r) for d, r in resolved if clause_rel <= d.start < trig_rel]
    before = [(d, r) for d, r in resolved if d.start < trig_rel]
    after = [(d, r) for d, r in resolved if d.start >= trig_rel]
    for group in (in_clause, before):
        if group:
            return group[-1][1]
    if after:
        return after[0][1]
    return dates_mod.ResolvedDate(ref.date, "article") if ref else None


# ------------------------------------------------------------------------------------- speech acts (round 5)


def _speech_acts(data: Any, where: Path | str) -> dict[str, Any]:
    """discourse.yaml ``speech_acts`` (optional: without it no speech act is read from a report's form)."""
    if data is None:
        return {}
    keys = {"subjunctive", "demand_code", "demand_content", "appeal_content", "praise_possessives", "praise_nouns",
            "office_titles", "praise_copula", "praise_followers", "praise_code"}
    code_like = re.compile(r"\d{3,4}")
    if not isinstance(data, dict) or set(data) != keys:
        raise LexiconError(f"{where}: speech_acts needs exactly {sorted(keys)}")
    for k in ("demand_code", "praise_code"):
        if not code_like.fullmatch(str(data[k])):
            raise LexiconError(f"{where}: speech_acts.{k} must be a CAMEO code")
    for k in ("demand_content", "appeal_content"):
        if not isinstance(data[k], dict) or not data[k] or not all(
                isinstance(w, str) and w.strip() and code_like.fullmatch(str(c)) for w, c in data[k].items()):
            raise LexiconError(f"{where}: speech_acts.{k} must map words to CAMEO codes")
    for k in ("subjunctive", "praise_possessives", "praise_nouns", "office_titles", "praise_copula",
              "praise_followers"):
        if not isinstance(data[k], list) or not data[k] or not all(isinstance(w, str) and w.strip() for w in data[k]):
            raise LexiconError(f"{where}: speech_acts.{k} must be a non-empty list of words")
    return {
        "subjunctive": _norm_set(data["subjunctive"]), "demand_code": str(data["demand_code"]),
        "demand_content": {norm(w): str(c) for w, c in data["demand_content"].items()},
        "appeal_content": {norm(w): str(c) for w, c in data["appeal_content"].items()},
        "praise_possessives": _norm_set(data["praise_possessives"]),
        "praise_nouns": tuple(sorted((_words(w) for w in data["praise_nouns"]), key=lambda p: -len(p))),
        "office_titles": tuple(sorted((_words(w) for w in data["office_titles"]), key=lambda p: -len(p))),
        "praise_copula": _norm_set(data["praise_copula"]), "praise_code": str(data["praise_code"]),
        "praise_followers": _norm_set(data["praise_followers"]),
    }


def _content_code(words: list[Word], lo: int, hi: int, table: dict[str, str], default: str) -> str:
    """The code of the first word in words[lo:hi] that ``table`` names (by form or lemma), else ``default``."""
    return next((table.get(words[k].norm) or table[words[k].lemma] for k in range(lo, hi)
                 if words[k].norm in table or words[k].lemma in table), default)


def _speaker_ok(r: "_Report", words: list[Word], lex: Lexicon) -> bool:
    """A report whose act can be coded: a known speaker that is no news outlet, a reporting verb not negated."""
    x = r.speaker
    return x is not None and x is not UNKNOWN_AGENT and not (x.actor_code or "").endswith("MED") and not (
        r.verb > 0 and words[r.verb - 1].norm in lex.negation)


def _demands(words, lex, mentions, entities, ctx, cond_scopes, source_ids) -> list[tuple]:
    """"X نے کہا کہ افغانستان … ثبوت فراہم کرے", headline "افغانستان … ثبوت فراہم کرے، سرتاج عزیز": a report whose first
    clause has a named subject Y and ends in a bare subjunctive (speech_acts.subjunctive, nothing after it in the verb
    group) is X's demand to Y. Not after a should-word (an appeal: _appeals), a conditional, a relative pronoun or a
    second کہ; a pronoun subject is not resolved. (report, first verb, last verb, Y, code) for each."""
    sa = lex.speech_acts
    if not sa:
        return []
    out = []
    for r in ctx.reports:
        if not _speaker_ok(r, words, lex):
            continue
        v = None
        for j in range(r.start, r.end):
            w = words[j]
            if (w.norm or w.text) in lex.clause_breaks or w.norm in lex.complementizers or w.norm in lex.should or \
                    w.norm in lex.pron_relative or any(_seq_at(words, j, p) for p in lex.conditional):
                break
            if w.upos in ("VERB", "AUX") and not (w.norm.endswith(lex.infinitive_endings) and j + 1 < r.end and
                                                  words[j + 1].norm in lex.genitive):
                v = j  # (not an infinitive phrase: "… اسلام آباد لانے کا ٹارگٹ پورا کریں")
                break
        if v is None:
            continue
        e = v
        while e + 1 < r.end and words[e + 1].upos in ("VERB", "AUX"):
            e += 1
        if words[e].norm not in sa["subjunctive"] or (e + 1 < len(words) and words[e + 1].norm in lex.should) or \
                any(c <= v < end for c, end in cond_scopes):
            continue
        x = r.speaker
        ys = _find_nominative(words, _fake_trigger(v, lex), r.start, lex, mentions, entities,
                              source_ids | {x.entity_id}, None)
        y = ys[0] if ys and ys[0] is not UNKNOWN_AGENT and ys[0].entity_id != x.entity_id else None
        if y is None:
            continue
        out.append((r, v, e, y, _content_code(words, r.start, e + 1, sa["demand_content"], sa["demand_code"])))
    return out


def _praised(words, r: "_Report", lex, mentions, entities) -> list[tuple[int, int, Actor]]:
    """In a report: "چین ہمارا آزمودہ دوست ہے" (Y our friend, partner, ally) and "نواز شریف پاکستان کے وزیراعظم ہیں" (a
    person named the holder of a country's office: that country's government). (first word, last word, Y)."""
    sa = lex.speech_acts
    out = []

    def copula_at(j: int) -> bool:
        return j < r.end and words[j].norm in sa["praise_copula"]

    for k in range(r.start + 1, r.end):
        w = words[k]
        if w.norm in sa["praise_possessives"] and words[k - 1].mention is not None:
            for n in range(k + 1, min(k + 4, r.end)):
                p = next((p for p in sa["praise_nouns"] if _seq_at(words, n, p)), None)
                if p is not None and copula_at(n + len(p)):
                    a = _actor_from_mention(mentions[words[k - 1].mention], entities, "copula", None)
                    if a:
                        out.append((_mention_start(words, k - 1), n + len(p), a))
                    break
        elif w.norm in lex.genitive and words[k - 1].mention is not None:
            p = next((p for p in sa["office_titles"] if _seq_at(words, k + 1, p)), None)
            s = _mention_start(words, k - 1)
            if p is None or not copula_at(k + 1 + len(p)) or s == 0 or words[s - 1].mention is None:
                continue
            holder = _actor_from_mention(mentions[words[s - 1].mention], entities, "copula", None)
            country = _actor_from_mention(mentions[words[k - 1].mention], entities, "copula", None)
            if holder is None or country is None or not _country_like(country, entities) or (
                    (entities.get(holder.entity_id) or {}).get("entity_type") or "").upper() != "PERSON":
                continue
            gov = country.country_code and country.country_code + STATE_VOICE_SECTOR
            out.append((_mention_start(words, s - 1), k + len(p), Actor(country.entity_id, gov, country.country_code,
                                                                       "copula")))
    return out


WITH = ("کے", "ساتھ")  # "ان کے ساتھ": the partner's case marker after a praise follower


def _praise_follower(words, b: int, r: "_Report", lex) -> list[tuple[int, int, str]]:
    """After a praise ending at word b: "امریکا ان کے ساتھ (مل کر) کام کرتا رہے گا" in the same report (the first
    follower pronoun before the next reporting verb) -> (first, last word, code) of that cooperative act with the
    one praised."""
    sa = lex.speech_acts
    p = next((p for p in range(b + 1, min(b + 8, r.end)) if words[p].norm in sa["praise_followers"]), None)
    if p is None or not _seq_at(words, p + 1, WITH):
        return []
    q = p + 1 + len(WITH)
    while q < r.end and words[q].norm in (norm("مل"), norm("کر")):
        q += 1
    for e in lex.by_nominal.get(words[q].norm if q < r.end else "", ()):
        if _seq_at(words, q, e.pattern) and WITH in e.actor2_case and e.code[:2] in ("03", "04", "06") and \
                q + len(e.pattern) < r.end and words[q + len(e.pattern)].upos in ("VERB", "AUX"):
            return [(p, q + len(e.pattern), e.code)]
    return []


def _speech_act_events(article, si, words, lex, mentions, entities, cameo, ctx, demands, dates, sent_off, ref,
                       source_ids) -> list[dict]:
    """Rows of the demands found by _demands and of the praise in reports (_praised), X (the speaker) to Y."""
    sa = lex.speech_acts
    if not sa:
        return []
    found = [(r, v, e, y, code) for r, v, e, y, code in demands]
    for r in ctx.reports:
        if _speaker_ok(r, words, lex):
            for a, b, y in _praised(words, r, lex, mentions, entities):
                if y.entity_id != r.speaker.entity_id and y.entity_id not in source_ids:
                    found.append((r, a, b, y, sa["praise_code"]))
                    found += [(r, c, d, y, code) for c, d, code in _praise_follower(words, b, r, lex)]
    out = []
    for r, a, b, y, code in found:
        start_c, end_c = words[a].start, words[b].end
        when = _event_date(dates, sent_off, start_c - sent_off, words[r.start].start - sent_off, ref)
        out.append(_event_row(article, si, lookup(code, cameo), r.speaker, y, start_c, end_c, when,
                              (article.get("text") or "")[start_c:end_c], False, "asserted", r.speaker.entity_id,
                              0.45))
    return out
