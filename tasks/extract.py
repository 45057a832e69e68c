"""Extraction: link, events and relations of one article at a time, as plain functions a worker process runs.

One article goes through all three: ``link_article`` gives its mentions and the entity rows they reference,
then ``extract_events`` and ``extract_relations`` code it with the dictionary's entity rows plus that
article's own provisional entities (an article's events read the entities of its own mentions, and the
dictionary's countries). ``merge`` puts chunks back together in article order: the run-level `entities`
table is the dictionary's rows plus every article's provisional rows, the first row of an id winning, as
when the batch was linked in one pass. Nothing here touches Prefect or the warehouse.
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Sequence

# (article, its sentences, its tokens, its NER mentions): what linking one article reads
Item = tuple[dict, list[dict], list[dict], list[dict]]


@dataclass
class ExtractOutput:
    mentions: list[dict] = field(default_factory=list)
    entities: list[dict] = field(default_factory=list)  # not the dictionary's: provisional/agent rows, first wins
    events: list[dict] = field(default_factory=list)
    relations: list[dict] = field(default_factory=list)
    articles: int = 0
    pids: set[int] = field(default_factory=set)  # the processes that did the work
    seconds: float = 0.0  # spent in extract_articles, summed over chunks


_DICTIONARY_ROWS: dict[int, tuple[Any, dict[str, dict]]] = {}  # id(dictionary) -> (dictionary, entity_id -> row)


def dictionary_rows(dictionary: Any = None) -> dict[str, dict]:
    """The dictionary's `entities` rows by id, built once per process."""
    from tasks.link import dictionary_entity_rows, load_dictionary

    d = dictionary if dictionary is not None else load_dictionary()
    hit = _DICTIONARY_ROWS.get(id(d))
    if hit is None or hit[0] is not d:
        hit = (d, {row["entity_id"]: row for row in dictionary_entity_rows(d)})
        _DICTIONARY_ROWS[id(d)] = hit
    return hit[1]


def init_worker() -> None:
    """Process-pool initializer: load the dictionary, its index and the lexicons once per worker process."""
    from tasks import link
    from tasks.dates import load_date_words
    from tasks.events import load_cameo, load_lexicon

    d = link.load_dictionary()
    dictionary_rows(d)
    link._index(d, "")  # the index without Latin-script names (most Urdu articles) ...
    link._index(d, None)  # ... and the full one
    load_lexicon()
    load_cameo()
    load_date_words()


def extract_article(item: Item, dictionary: Any, known: dict[str, dict], events: bool = True) -> ExtractOutput:
    """Link one article, then (``events``) code its events and relations. ``known``: the dictionary's rows."""
    from tasks import events as events_mod, link, relations

    article, sentences, tokens, ner = item
    out = link.link_article(article, sentences, tokens, ner, dictionary)
    own = [row for row in out.entities if row["entity_id"] not in known]
    if not events:
        return ExtractOutput(out.mentions, own, articles=1)
    entities = dict(known)  # the dictionary's rows first (iteration order: a country is found among them)
    for row in own:
        entities.setdefault(row["entity_id"], row)
    args = (article, sentences, tokens, out.mentions, entities)
    return ExtractOutput(out.mentions, own, events_mod.extract_events(*args), relations.extract_relations(*args), 1)


def extract_articles(items: Sequence[Item], dictionary: Any = None, events: bool = True) -> ExtractOutput:
    """Link, events and relations of each article, in order; entity rows outside the dictionary, first wins."""
    from tasks.link import load_dictionary

    started = time.perf_counter()
    d = dictionary if dictionary is not None else load_dictionary()
    known = dictionary_rows(d)
    out = merge([extract_article(item, d, known, events) for item in items], include_dictionary=False, dictionary=d)
    out.pids = {os.getpid()}
    out.seconds = time.perf_counter() - started
    return out


def merge(outputs: Sequence[ExtractOutput], *, include_dictionary: bool = True, dictionary: Any = None
          ) -> ExtractOutput:
    """Chunks (or articles) back together in their order; ``include_dictionary``: the entity rows start with
    the dictionary's, as the `entities` table carries the whole dictionary each run."""
    merged = ExtractOutput()
    entities: dict[str, dict] = dict(dictionary_rows(dictionary)) if include_dictionary else {}
    for out in outputs:
        merged.mentions += out.mentions
        merged.events += out.events
        merged.relations += out.relations
        merged.articles += out.articles
        merged.pids |= out.pids
        merged.seconds += out.seconds
        for row in out.entities:
            entities.setdefault(row["entity_id"], row)
    merged.entities = list(entities.values())
    return merged


def extract_items(articles: Sequence[dict], nlp_rows: dict[str, list[dict]]) -> list[Item]:
    """One item per article that has a parse (sentences), in the articles' order."""
    grouped: dict[str, dict[str, list[dict]]] = {}
    for table in ("sentences", "tokens", "mentions"):
        for row in nlp_rows.get(table, []):
            grouped.setdefault(row["article_id"], {}).setdefault(table, []).append(row)
    items = []
    for art in articles:
        rows = grouped.get(art["article_id"])
        if rows and rows.get("sentences"):
            items.append((art, rows["sentences"], rows.get("tokens", []), rows.get("mentions", [])))
    return items


def item_weight(item: Item) -> int:
    """An article's share of the work: its tokens."""
    return max(1, len(item[2]))


def chunks_of(items: Sequence[Item], n_chunks: int) -> list[list[Item]]:
    """Consecutive chunks of about equal weight (tokens), order kept; at most ``n_chunks``."""
    items = list(items)
    if not items:
        return []
    n_chunks = max(1, min(n_chunks, len(items)))
    total = sum(map(item_weight, items))
    out: list[list[Item]] = [[]]
    done = 0
    for item in items:
        if out[-1] and len(out) < n_chunks and done >= total * len(out) / n_chunks:
            out.append([])
        out[-1].append(item)
        done += item_weight(item)
    return out


# ------------------------------------------------------------------------ parse, then extract, in one process

def for_extract(article: dict) -> dict:
    """What extraction reads of an article row, to send to a worker: all of it but the raw text (half the bytes;
    linking and coding read the cleaned text, title, dateline and date)."""
    return {k: v for k, v in article.items() if k != "raw_text"}


@dataclass
class Job:
    """A chunk of per-article work for one worker: ``parse`` (NLP payloads) are parsed, then those of them in
    ``articles`` (article_id -> row, ``for_extract``) are extracted; ``items`` (cache hits: parses read back from
    the warehouse) are only extracted. ``extract`` False: parse only."""
    parse: list[dict] = field(default_factory=list)
    articles: dict[str, dict] = field(default_factory=dict)
    items: list[Item] = field(default_factory=list)
    extract: bool = True
    events: bool = True


@dataclass
class JobOutput:
    nlp: Any = None  # tasks.nlp.NlpOutput of ``parse`` (None: nothing parsed)
    extracted: dict[str, ExtractOutput] = field(default_factory=dict)  # article_id -> its extraction
    error: str | None = None  # extraction raised: its traceback (the parse rows are still good)


def run_job(job: Job, *, models_dir: Any = None, torch_threads: int | None = None, use_gpu: bool = False) -> JobOutput:
    """Parse ``job.parse``, then link, code events and relations of each article parsed and of ``job.items``,
    in this process. An article whose parse failed (or gave no sentence) is not extracted. Extraction outputs
    come back per article, so the caller can put articles from any number of jobs back in the batch's order."""
    from pathlib import Path

    from tasks.link import load_dictionary

    out = JobOutput()
    items = list(job.items)
    if job.parse:
        from tasks.nlp import parse_articles

        out.nlp = parse_articles(job.parse, models_dir=Path(models_dir), torch_threads=torch_threads, use_gpu=use_gpu)
        if job.extract:
            parsed = [job.articles[a["article_id"]] for a in job.parse if a["article_id"] in job.articles]
            items = extract_items(parsed, {"sentences": out.nlp.sentences, "tokens": out.nlp.tokens,
                                           "mentions": out.nlp.mentions}) + items
    if not job.extract or not items:
        return out
    try:
        d = load_dictionary()
        known = dictionary_rows(d)
        for item in items:
            started = time.perf_counter()
            one = extract_article(item, d, known, job.events)
            one.pids, one.seconds = {os.getpid()}, time.perf_counter() - started
            out.extracted[item[0]["article_id"]] = one
    except Exception:  # a bug in extraction fails the run (as before), not the articles' parse
        import traceback

        out.error = traceback.format_exc()
    return out
