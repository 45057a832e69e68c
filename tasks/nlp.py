"""NLP stage, domain part: Stanza models on disk, language detection, parsing articles into table rows.

No Prefect here (flows/nlp.py wraps it). Everything a worker process needs is importable from this
module, so a process pool or a Dask worker loads the Stanza pipeline once per process (``get_pipeline``)
and never per article.

Offsets: every ``start_char``/``end_char`` indexes into the article's own ``text``. Before parsing, the
text is prepared for the Urdu models (quotes spaced out, lone newlines doubled so headlines split off,
over-long unpunctuated runs broken up); the characters inserted for that are tracked and mapped away, so
``text[start_char:end_char]`` is exactly the word.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any


from tasks.ids import sha256_file, stable_id
from tasks.yamlload import load_yaml

log = logging.getLogger("khabar.nlp")

NER_LABELS_FILE = Path(__file__).resolve().parent.parent / "khabar" / "lang" / "ner_labels.yaml"
TARGET_LABELS = ("PERSON", "LOCATION", "ORGANIZATION", "NUMBER", "TIME", "ARTIFACT", "MISC")

# Quotation marks the Urdu models never saw in training: spaced out so they become their own tokens.
QUOTES = frozenset("\"'‘’‚‛“”„‟«»‹›")
# A run of more words than this without sentence punctuation is broken up: Stanza's parser is quadratic
# (and worse) in sentence length; one 3,000-word "sentence" (a table, a list) takes GBs and gets killed.
MAX_WORDS_PER_SENTENCE = 120
_TERMINATORS = frozenset("۔؟!?.\n")
_GLUED_TERMINATORS = frozenset("۔؟!")  # not "." (U.S., www.site.pk)
_PROCESSOR_ORDER = ("tokenize", "mwt", "pos", "lemma", "depparse", "ner", "sentiment", "constituency")


class ModelNotFoundError(RuntimeError):
    """No usable Stanza models for a language in a models directory (message says how to get them)."""


class ModelDownloadError(RuntimeError):
    """Downloading models failed (usually: no internet)."""


def _missing_message(lang: str, models_dir: Path, what: str) -> str:
    return (
        f"No Stanza models for language '{lang}' in {models_dir} ({what}). "
        f"Get them with `khabar models download {lang}` (needs internet), or point --models-dir, "
        f"KHABAR_MODELS_DIR or STANZA_RESOURCES_DIR at a Stanza resources directory that has them."
    )


def require_models_dir(models_dir: Path, lang: str = "ur") -> None:
    """Raise ModelNotFoundError (with how to get models) when ``models_dir`` is no Stanza resources directory."""
    if not read_resources(models_dir):
        raise ModelNotFoundError(_missing_message(lang, models_dir, "no resources.json"))


# --------------------------------------------------------------------------------------------- models dir

def stanza_default_dir() -> Path:
    """Stanza's own default resources directory (what it uses when STANZA_RESOURCES_DIR is unset)."""
    return Path.home() / "stanza_resources"


def resolve_models_dir(explicit: Path | None = None) -> Path:
    """explicit (--models-dir / Settings.models_dir) > KHABAR_MODELS_DIR > STANZA_RESOURCES_DIR > ~/stanza_resources."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    for var in ("KHABAR_MODELS_DIR", "STANZA_RESOURCES_DIR"):
        value = os.environ.get(var)
        if value:
            return Path(value).expanduser().resolve()
    return stanza_default_dir().resolve()


def read_resources(models_dir: Path) -> dict[str, Any]:
    """resources.json of a models directory ({} if there is none or it is unreadable)."""
    path = Path(models_dir) / "resources.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _canonical_lang(resources: dict[str, Any], lang: str) -> str:
    entry = resources.get(lang)
    if isinstance(entry, dict) and "alias" in entry:
        return entry["alias"]
    return lang


def available_models(models_dir: Path) -> list[dict]:
    """Model files present on disk, as listed in resources.json: lang, processor, package, path, size_bytes, default."""
    models_dir = Path(models_dir)
    resources = read_resources(models_dir)
    rows: list[dict] = []
    for lang, entry in sorted(resources.items()):
        if not isinstance(entry, dict) or "alias" in entry:
            continue
        defaults = entry.get("default_processors", {}) or {}
        for processor, packages in entry.items():
            if processor in ("default_processors", "default_dependencies", "packages", "lang_name") \
                    or not isinstance(packages, dict):
                continue
            for package, meta in sorted(packages.items()):
                if not isinstance(meta, dict):
                    continue
                path = models_dir / lang / processor / f"{package}.pt"
                if path.is_file():
                    rows.append({
                        "lang": lang,
                        "processor": processor,
                        "package": package,
                        "path": str(path),
                        "size_bytes": path.stat().st_size,
                        "default": defaults.get(processor) == package,
                    })
    return rows


def pipeline_processors(lang: str, models_dir: Path) -> dict[str, str]:
    """processor -> package of the language's default pipeline whose files are present.

    Raises ModelNotFoundError when there is no resources.json, no entry for the language or no tokenizer.
    """
    models_dir = Path(models_dir)
    resources = read_resources(models_dir)
    if not resources:
        raise ModelNotFoundError(_missing_message(lang, models_dir, "no resources.json"))
    canon = _canonical_lang(resources, lang)
    entry = resources.get(canon)
    if not isinstance(entry, dict):
        raise ModelNotFoundError(_missing_message(lang, models_dir, "language not in resources.json"))
    present = {(m["processor"], m["package"]) for m in available_models(models_dir) if m["lang"] == canon}
    defaults = entry.get("default_processors", {}) or {}
    chosen = {p: pkg for p, pkg in defaults.items() if (p, pkg) in present}
    if "tokenize" not in chosen:
        raise ModelNotFoundError(_missing_message(lang, models_dir, "no tokenizer model file"))
    return {p: chosen[p] for p in _PROCESSOR_ORDER if p in chosen}


def has_models(lang: str, models_dir: Path) -> bool:
    try:
        pipeline_processors(lang, models_dir)
        return True
    except ModelNotFoundError:
        return False


def download_models(lang: str, models_dir: Path) -> None:
    """Download the default Stanza models for ``lang`` into ``models_dir`` (needs internet)."""
    import stanza

    Path(models_dir).mkdir(parents=True, exist_ok=True)
    try:
        stanza.download(lang, model_dir=str(models_dir), logging_level="WARN")
    except Exception as exc:  # requests/connection errors, unknown language, …
        raise ModelDownloadError(
            f"Could not download Stanza models for '{lang}' into {models_dir}: {type(exc).__name__}: {exc}. "
            f"This needs internet access to the Stanza model hub; or copy a Stanza resources directory here "
            f"and point --models-dir / KHABAR_MODELS_DIR / STANZA_RESOURCES_DIR at it."
        ) from exc


_VERSION_CACHE: dict[tuple, str] = {}


def model_version(lang: str, models_dir: Path) -> str:
    """``"<lang>:<12 hex>"``: hash of the stanza version and the content of every model file of the language.

    Content, not resources.json's md5 claims: a replaced or retrained file changes the version even when
    resources.json is stale. Hashes are cached per (path, size, mtime).
    """
    import stanza

    models_dir = Path(models_dir)
    canon = _canonical_lang(read_resources(models_dir), lang)
    pipeline_processors(canon, models_dir)  # raises ModelNotFoundError when unusable
    files = sorted(p for p in (models_dir / canon).rglob("*") if p.is_file() and not p.name.startswith("."))
    h = hashlib.sha256(f"stanza={stanza.__version__}".encode())
    for path in files:
        st = path.stat()
        key = (str(path.resolve()), st.st_size, st.st_mtime_ns)
        if key not in _VERSION_CACHE:
            _VERSION_CACHE[key] = sha256_file(path)
        h.update(f"\x00{path.relative_to(models_dir / canon).as_posix()}\x00{_VERSION_CACHE[key]}".encode())
    return f"{canon}:{h.hexdigest()[:12]}"


# ------------------------------------------------------------------------------------------ language id

def detect_language(text: str) -> str | None:
    """ISO 639 code of ``text``, or None when there is too little text to tell: tasks.langid.identify_language
    (py3langid's shipped model plus khabar/lang/langid.yaml). Give it the text before Urdu letter folding."""
    from tasks.langid import identify_language

    return identify_language(text)


# -------------------------------------------------------------------------------------------- NER labels

@lru_cache(maxsize=4)
def load_ner_labels(path: Path = NER_LABELS_FILE) -> tuple[dict[str, str], str]:
    """(model label upper-cased -> target label, fallback). Raises ValueError when the file is inconsistent."""
    data = load_yaml(Path(path))
    if not isinstance(data, dict) or not {"targets", "fallback", "schemes"} <= set(data):
        raise ValueError(f"{path}: needs 'targets', 'fallback' and 'schemes'")
    targets = set(data["targets"])
    if targets != set(TARGET_LABELS):
        raise ValueError(f"{path}: targets {sorted(targets)} != {sorted(TARGET_LABELS)}")
    fallback = data["fallback"]
    if fallback not in targets:
        raise ValueError(f"{path}: fallback {fallback!r} is not a target label")
    mapping: dict[str, str] = {}
    for scheme, labels in data["schemes"].items():
        if not isinstance(labels, dict) or not labels:
            raise ValueError(f"{path}: scheme {scheme!r} must map labels to targets")
        for label, target in labels.items():
            key = str(label).upper()
            if target not in targets:
                raise ValueError(f"{path}: {scheme}.{label} -> {target!r} is not a target label")
            if mapping.get(key, target) != target:
                raise ValueError(f"{path}: {label} maps to both {mapping[key]} and {target}")
            mapping[key] = target
    return mapping, fallback


def map_ner_label(model_label: str) -> str:
    mapping, fallback = load_ner_labels()
    return mapping.get(model_label.upper(), fallback)


# ------------------------------------------------------------------------------------------- pipelines

_PIPELINES: dict[tuple[str, str, bool], Any] = {}
PIPELINE_LOADS = 0  # how many pipelines this process loaded (tests check: once per worker process)
_PIPELINE_LOCK = threading.RLock()  # Stanza pipelines are not thread-safe (Dask workers may run threads)


def default_torch_threads() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def set_torch_threads(n: int | None) -> int:
    import torch

    n = max(1, n or default_torch_threads())
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
    return n


_DEVICE = {"gpu": False}  # this process's choice (use_device); its pipelines are loaded for it


def gpu_present() -> bool:
    """A CUDA device torch can use (False on the CPU wheel)."""
    try:
        import torch
        return bool(torch.cuda.is_available())
    except Exception:  # a broken CUDA install is no GPU: the run parses on the CPU
        return False


def use_device(want_gpu: bool) -> bool:
    """Parse on a GPU when the setting asks for it and one is present (Stanza's use_gpu); else on the CPU, with one
    log line when a GPU was asked for. Called once per process (the flow's and each worker's); returns the choice."""
    if _DEVICE.get("asked") == bool(want_gpu):
        return _DEVICE["gpu"]  # decided before in this process (every chunk asks again)
    on_gpu = bool(want_gpu) and gpu_present()
    if want_gpu and not on_gpu:
        log.info("use_gpu is set but torch sees no GPU here: parsing on the CPU")
    _DEVICE.update(asked=bool(want_gpu), gpu=on_gpu)
    return on_gpu


def get_pipeline(lang: str, models_dir: Path, torch_threads: int | None = None):
    """The Stanza pipeline for ``lang``, loaded once per process and cached; sets torch's thread count.

    ``torch_threads`` None = all cores of this process. Raises ModelNotFoundError (never a Stanza
    traceback) when the models are missing or fail to load.
    """
    global PIPELINE_LOADS
    import stanza

    set_torch_threads(torch_threads)
    models_dir = Path(models_dir).resolve()
    key = (lang, str(models_dir), _DEVICE["gpu"])
    with _PIPELINE_LOCK:
        if key in _PIPELINES:
            return _PIPELINES[key]
        processors = pipeline_processors(lang, models_dir)
        load = lambda: stanza.Pipeline(lang, dir=str(models_dir), processors=processors,  # noqa: E731
                                       download_method=None, logging_level="WARN", use_gpu=_DEVICE["gpu"])
        try:
            try:
                with _no_optimizers():
                    nlp = load()
            except Exception:  # noqa: BLE001 - a Stanza that uses its optimizers while loading: load as it wants
                log.debug("Stanza pipeline %s: loading with its training optimizers", lang, exc_info=True)
                nlp = load()
        except Exception as exc:
            raise ModelNotFoundError(
                _missing_message(lang, models_dir, f"loading failed: {type(exc).__name__}: {exc}")
            ) from exc
        _PIPELINES[key] = nlp
        PIPELINE_LOADS += 1
        return nlp


class _UnusedOptimizer:
    """Stands in for the optimizer Stanza builds beside each model it loads: only training steps one. Holds the
    parameter groups (a learning-rate scheduler built with it reads and sets their 'lr'); nothing else."""

    def __init__(self, params: Any, lr: float | None = None, **_: Any) -> None:
        groups = list(params)
        if groups and not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        self.param_groups = [{"lr": lr, **g} for g in groups]
        self.state: dict = {}

    def state_dict(self) -> dict:
        return {}

    def load_state_dict(self, state: dict) -> None:
        pass


@contextmanager
def _no_optimizers():
    """While a pipeline loads: Stanza's models get _UnusedOptimizer instead of torch optimizers. The first torch
    Optimizer of a process imports torch._dynamo (~1.2 s of CPU, measured: most of a pipeline's load) for a
    training step that inference never takes. Stanza's own helper is swapped (no option asks it not to)."""
    from stanza.models.common import utils

    real = utils.dispatch_optimizer
    utils.dispatch_optimizer = lambda name, parameters, opt_logger=None, lr=None, **kw: _UnusedOptimizer(parameters, lr)
    try:
        yield
    finally:
        utils.dispatch_optimizer = real


def init_worker(models_dir: str | None, langs: tuple[str, ...], torch_threads: int | None,
                use_gpu: bool = False) -> None:
    """Process-pool initializer: cap torch threads, choose the device, load the pipelines once (errors surface in
    the task)."""
    set_torch_threads(torch_threads)
    use_device(use_gpu)
    if models_dir is None:
        return
    for lang in langs:
        try:
            get_pipeline(lang, Path(models_dir), torch_threads)
        except ModelNotFoundError:
            pass


# --------------------------------------------------------------------------------------- text preparing

def prepare_text(text: str) -> tuple[str, list[int]]:
    """Text for the Urdu models plus, per character of it, its index in ``text`` (-1 = inserted).

    Inserts only whitespace: spaces around quotation marks, a space after a sentence mark glued to the next word
    (۔بارک), a second newline after a lone newline (so a headline or paragraph ends a sentence), a blank line
    after MAX_WORDS_PER_SENTENCE unpunctuated words.
    """
    out: list[str] = []
    origin: list[int] = []

    def put(ch: str, src: int) -> None:
        out.append(ch)
        origin.append(src)

    n = len(text)
    words = 0
    in_word = False
    for i, ch in enumerate(text):
        if ch in QUOTES:
            if out and not out[-1].isspace():
                put(" ", -1)
            put(ch, i)
            if i + 1 < n and not text[i + 1].isspace():
                put(" ", -1)
            in_word = False
            continue
        if ch == "\n":
            put(ch, i)
            prev_nl = i > 0 and text[i - 1] == "\n"
            next_nl = i + 1 < n and text[i + 1] == "\n"
            if not prev_nl and not next_nl:
                put("\n", -1)
            words, in_word = 0, False
            continue
        if ch.isspace():
            if in_word:
                words += 1
                in_word = False
                if words >= MAX_WORDS_PER_SENTENCE:
                    put("\n", -1)
                    put("\n", -1)
                    words = 0
            put(ch, i)
            continue
        put(ch, i)
        in_word = True
        if ch in _TERMINATORS:
            words = 0
            # "۔بارک": web text often drops the space after a full stop; the models split only where one follows
            if ch in _GLUED_TERMINATORS and i + 1 < n and text[i + 1].isalpha():
                put(" ", -1)
                in_word = False
    return "".join(out), origin


def _span(origin: list[int], start: int, end: int) -> tuple[int, int] | None:
    """Offsets in the original text of the prepared span [start, end): first and last original character."""
    s = start
    while s < end and origin[s] < 0:
        s += 1
    e = end - 1
    while e >= s and origin[e] < 0:
        e -= 1
    if s > e:
        return None
    return origin[s], origin[e] + 1


# -------------------------------------------------------------------------------------------- parsing

@dataclass
class NlpOutput:
    sentences: list[dict] = field(default_factory=list)
    tokens: list[dict] = field(default_factory=list)
    mentions: list[dict] = field(default_factory=list)
    parses: list[dict] = field(default_factory=list)
    failures: list[dict] = field(default_factory=list)  # {article_id, reason, detail}
    pipeline_loads: dict[int, int] = field(default_factory=dict)  # pid -> pipelines that process loaded so far

    def extend(self, other: "NlpOutput") -> None:
        for pid, loads in other.pipeline_loads.items():
            self.pipeline_loads[pid] = max(loads, self.pipeline_loads.get(pid, 0))
        self.sentences += other.sentences
        self.tokens += other.tokens
        self.mentions += other.mentions
        self.parses += other.parses
        self.failures += other.failures

    @property
    def parsed_ids(self) -> list[str]:
        return [p["article_id"] for p in self.parses]

    @property
    def num_tokens(self) -> int:
        return len(self.tokens)


def doc_to_rows(article: dict, doc: Any, origin: list[int], *, model_version: str, lang: str) -> NlpOutput:
    """Rows of one parsed Stanza Document, offsets mapped back to the article's text."""
    article_id = article["article_id"]
    text: str = article["text"]
    out = NlpOutput()
    sent_index = 0
    for sent in doc.sentences:
        sent_tokens: list[dict] = []
        for token in sent.tokens:
            span = _span(origin, token.start_char, token.end_char)
            if span is None:
                continue
            start, end = span
            multi = len(token.words) > 1
            for word in token.words:
                sent_tokens.append({
                    "article_id": article_id,
                    "sentence_index": sent_index,
                    "token_index": int(word.id),
                    "text": word.text if multi else text[start:end],
                    "lemma": word.lemma,
                    "upos": word.upos,
                    "xpos": word.xpos,
                    "feats": word.feats,
                    "head": word.head,
                    "deprel": word.deprel,
                    "start_char": start,
                    "end_char": end,
                    "ner": getattr(token, "ner", None),
                })
        if not sent_tokens:
            continue
        s_start, s_end = sent_tokens[0]["start_char"], sent_tokens[-1]["end_char"]
        out.sentences.append({
            "article_id": article_id,
            "sentence_index": sent_index,
            "start_char": s_start,
            "end_char": s_end,
            "text": text[s_start:s_end],
        })
        out.tokens.extend(sent_tokens)
        for ent in getattr(sent, "ents", None) or []:
            span = _span(origin, ent.start_char, ent.end_char)
            if span is None:
                continue
            start, end = span
            out.mentions.append({
                "mention_id": stable_id("m", article_id, start, end),
                "article_id": article_id,
                "sentence_index": sent_index,
                "start_char": start,
                "end_char": end,
                "text": text[start:end],
                "ner_label": map_ner_label(ent.type),
                "entity_id": None,
                "confidence": None,
                "model_label": ent.type,
                "found_by": "ner",
                "link_method": None,
            })
        sent_index += 1
    out.parses.append({
        "content_hash": article["content_hash"],
        "model_version": model_version,
        "article_id": article_id,
        "language": lang,
        "num_sentences": len(out.sentences),
        "num_tokens": len(out.tokens),
        "parsed_at": datetime.now(timezone.utc),
    })
    return out


def _failure(article: dict, exc: BaseException) -> dict:
    return {"article_id": article.get("article_id"), "reason": "nlp_error",
            "detail": f"{type(exc).__name__}: {exc}"[:500]}


def parse_articles(articles: list[dict], *, models_dir: Path, torch_threads: int | None = None,
                   use_gpu: bool = False) -> NlpOutput:
    """Parse articles (dicts with article_id, text, language, content_hash) into sentences/tokens/mentions/parses.

    One bulk Stanza call per language; when it raises, each article of that batch is parsed alone and
    the ones that still fail become ``failures`` (reason 'nlp_error'). ModelNotFoundError propagates.
    """
    use_device(use_gpu)
    out = NlpOutput()
    by_lang: dict[str, list[dict]] = {}
    for article in articles:
        by_lang.setdefault(article["language"], []).append(article)
    for lang, group in by_lang.items():
        import stanza

        nlp = get_pipeline(lang, models_dir, torch_threads)
        version = model_version(lang, models_dir)
        with _PIPELINE_LOCK:
            try:  # the whole chunk in one bulk call: Stanza batches sentences across documents
                prepared = [prepare_text(_text_of(a)) for a in group]
                docs = nlp.bulk_process([stanza.Document([], text=p) for p, _ in prepared])
                rows = [doc_to_rows(a, d, o, model_version=version, lang=lang)
                        for a, d, (_, o) in zip(group, docs, prepared)]
            except Exception:
                rows = None
            if rows is None:  # something in the chunk failed: one article at a time, keep the good ones
                rows = []
                for article in group:
                    try:
                        p, o = prepare_text(_text_of(article))
                        doc = nlp(stanza.Document([], text=p))
                        rows.append(doc_to_rows(article, doc, o, model_version=version, lang=lang))
                    except Exception as exc:
                        out.failures.append(_failure(article, exc))
        for r in rows:
            out.extend(r)
    out.pipeline_loads[os.getpid()] = PIPELINE_LOADS
    return out


def _text_of(article: dict) -> str:
    text = article.get("text")
    if not isinstance(text, str):
        raise TypeError(f"article text must be str, got {type(text).__name__}")
    return text
