"""Every warehouse table as an Arrow schema with its keys.

Table metadata drives the generic loader (tasks/load.py):
- ``primary_key``: rows with the same key are the same row; a re-load never duplicates them.
- ``on_conflict``: ``ignore`` keeps the first-seen row, ``replace`` upserts (articles are upserted so a later
  run can advance nlp_status; the flow carries their first run_id/ingested_at over).
- ``replace_key``: derived per-article tables; a stage that re-processes an article replaces all its rows.
Field metadata ``doc`` feeds ``python -m schemas.docs``.
"""
from __future__ import annotations

from typing import Any, Iterable

import pyarrow as pa

TS = pa.timestamp("us", tz="UTC")


def _f(name: str, typ: pa.DataType, doc: str, nullable: bool = True) -> pa.Field:
    return pa.field(name, typ, nullable=nullable, metadata={"doc": doc})


def _table(doc: str, fields: list[pa.Field], *, primary_key: list[str], on_conflict: str = "replace",
           replace_key: str | None = None) -> pa.Schema:
    meta = {"doc": doc, "primary_key": ",".join(primary_key), "on_conflict": on_conflict}
    if replace_key:
        meta["replace_key"] = replace_key
    return pa.schema(fields, metadata=meta)


TABLES: dict[str, pa.Schema] = {
    "articles": _table(
        "One row per ingested document (canonical or duplicate). `text` is what every offset refers to.",
        [
            _f("article_id", pa.string(), "Deterministic id: hash of source key and raw content.", False),
            _f("source_path", pa.string(), "File the article came from (plus #record for JSON lines).", False),
            _f("source_url", pa.string(), "URL from the record or from a 'source: https://…' line in the body."),
            _f("title", pa.string(), "Headline."),
            _f("text", pa.string(), "Cleaned text: furniture removed, Urdu-normalised (NFC, diacritics kept).", False),
            _f("raw_text", pa.string(), "Decoded text exactly as ingested (nothing is lost).", False),
            _f("language", pa.string(), "ISO 639-1 code, stated by the record or detected."),
            _f("published_at", TS, "Publication time when known."),
            _f("dateline", pa.string(), "Dateline such as 'ماسکو: (ویب ڈیسک )'."),
            _f("source_entity_id", pa.string(), "News agency or outlet the dateline credits ('(اے پی پی)'), linked."),
            _f("content_hash", pa.string(), "sha256 of the matching-normalised text; equal hash = exact duplicate.", False),
            _f("duplicate_of", pa.string(), "article_id of the first-seen canonical article, if a duplicate."),
            _f("duplicate_score", pa.float64(), "Estimated Jaccard similarity to duplicate_of (1.0 = exact)."),
            _f("run_id", pa.string(), "Run that first ingested the article.", False),
            _f("ingested_at", TS, "When it was first ingested.", False),
            _f("record_id", pa.string(), "Id given by the input record, if any."),
            _f("source_name", pa.string(), "Publisher / outlet given by the input record, if any."),
            _f("encoding", pa.string(), "Detected source encoding."),
            _f("removed_lines", pa.list_(pa.string()), "Page-furniture lines removed by the cleaner."),
            _f("nlp_status", pa.string(), "parsed | duplicate | skipped_language | failed | pending."),
            _f("nlp_reason", pa.string(), "Why NLP skipped or failed, when it did."),
        ],
        primary_key=["article_id"],
    ),
    "signatures": _table(
        "MinHash signatures of canonical articles, persisted so later runs catch copies of earlier articles.",
        [
            _f("article_id", pa.string(), "Canonical article.", False),
            _f("content_hash", pa.string(), "Its content hash.", False),
            _f("num_perm", pa.int32(), "Number of permutations.", False),
            _f("shingle_size", pa.int32(), "Word shingle size.", False),
            _f("minhash", pa.list_(pa.uint64()), "MinHash hash values.", False),
        ],
        primary_key=["article_id"],
    ),
    "signature_bands": _table(
        "LSH band keys of canonical articles: the persistent dedup index. A run reads only the stored articles "
        "that share a band key with one of its own (then verifies each by estimated Jaccard), instead of "
        "rebuilding an index from every signature.",
        [
            _f("band_key", pa.int64(), "Hash of the LSH layout, the band number and the band's MinHash values; "
               "articles sharing one are near-duplicate candidates.", False),
            _f("article_id", pa.string(), "Canonical article (its signature is in `signatures`).", False),
            _f("layout", pa.string(), "MinHash and banding the key belongs to: p<num_perm>.s<shingle_size>."
               "b<bands>.r<rows per band>; keys of another layout never collide.", False),
        ],
        primary_key=["band_key", "article_id"],
        on_conflict="ignore",
    ),
    "sentences": _table(
        "Sentences from Stanza; offsets index into articles.text.",
        [
            _f("article_id", pa.string(), "Article.", False),
            _f("sentence_index", pa.int32(), "0-based sentence number.", False),
            _f("start_char", pa.int32(), "Start offset in articles.text.", False),
            _f("end_char", pa.int32(), "End offset (exclusive).", False),
            _f("text", pa.string(), "Sentence text.", False),
        ],
        primary_key=["article_id", "sentence_index"],
        replace_key="article_id",
    ),
    "tokens": _table(
        "Words with UD annotation from Stanza; offsets index into articles.text.",
        [
            _f("article_id", pa.string(), "Article.", False),
            _f("sentence_index", pa.int32(), "Sentence.", False),
            _f("token_index", pa.int32(), "1-based word id inside the sentence (UD).", False),
            _f("text", pa.string(), "Word form.", False),
            _f("lemma", pa.string(), "Lemma."),
            _f("upos", pa.string(), "Universal POS."),
            _f("xpos", pa.string(), "Treebank POS."),
            _f("feats", pa.string(), "UD features."),
            _f("head", pa.int32(), "Head word id (0 = root)."),
            _f("deprel", pa.string(), "Dependency relation."),
            _f("start_char", pa.int32(), "Start offset in articles.text."),
            _f("end_char", pa.int32(), "End offset (exclusive)."),
            _f("ner", pa.string(), "BIOES tag with the model's own label."),
        ],
        primary_key=["article_id", "sentence_index", "token_index"],
        replace_key="article_id",
    ),
    "parses": _table(
        "Parse cache: an article's text parsed by a model version is never parsed again.",
        [
            _f("content_hash", pa.string(), "Content hash of the parsed text.", False),
            _f("model_version", pa.string(), "Language + hash of the model files used.", False),
            _f("article_id", pa.string(), "Article whose rows hold the parse.", False),
            _f("language", pa.string(), "Pipeline language.", False),
            _f("num_sentences", pa.int32(), "Sentences produced."),
            _f("num_tokens", pa.int32(), "Words produced."),
            _f("parsed_at", TS, "When.", False),
        ],
        primary_key=["content_hash", "model_version"],
    ),
    "mentions": _table(
        "Entity mentions: NER spans and dictionary matches, linked to entities.",
        [
            _f("mention_id", pa.string(), "Hash of article and offsets.", False),
            _f("article_id", pa.string(), "Article.", False),
            _f("sentence_index", pa.int32(), "Sentence."),
            _f("start_char", pa.int32(), "Start offset in articles.text.", False),
            _f("end_char", pa.int32(), "End offset (exclusive).", False),
            _f("text", pa.string(), "Surface text.", False),
            _f("ner_label", pa.string(), "Mapped label: PERSON, LOCATION, ORGANIZATION, NUMBER, TIME, ARTIFACT, …"),
            _f("entity_id", pa.string(), "Linked entity (null until linked)."),
            _f("confidence", pa.float64(), "Confidence of the span and link."),
            _f("model_label", pa.string(), "The NER model's own label (e.g. NEP), when NER found it."),
            _f("found_by", pa.string(), "ner | dictionary | ner+dictionary."),
            _f("link_method", pa.string(), "dictionary | fuzzy | coreference | provisional | agent | none."),
            _f("actor_code", pa.string(), "CAMEO code of the linked actor as of the article's date (role then held; "
                                          "a former office holder is COUNTRY+ELI); for unknown names, from context."),
        ],
        primary_key=["mention_id"],
        replace_key="article_id",
    ),
    "entities": _table(
        "Real-world actors: dictionary entries and provisional entities for unknown names.",
        [
            _f("entity_id", pa.string(), "Wikidata QID where known, else a stable dictionary or provisional id.", False),
            _f("canonical_name", pa.string(), "Canonical English name.", False),
            _f("entity_type", pa.string(), "PERSON, ORGANIZATION, COUNTRY, CITY, …"),
            _f("wikidata_id", pa.string(), "Wikidata QID."),
            _f("country_code", pa.string(), "ISO 3166-1 alpha-3."),
            _f("actor_code", pa.string(), "CAMEO actor code (e.g. RUSGOV)."),
            _f("aliases", pa.list_(pa.string()), "Known names in every language."),
            _f("is_provisional", pa.bool_(), "True for names that matched no dictionary entry."),
        ],
        primary_key=["entity_id"],
    ),
    "events": _table(
        "CAMEO-coded events (GDELT-compatible columns).",
        [
            _f("event_id", pa.string(), "Hash of article, sentence, trigger and actors.", False),
            _f("article_id", pa.string(), "Article.", False),
            _f("sentence_index", pa.int32(), "Sentence."),
            _f("event_date", pa.date32(), "When the event happened (resolved)."),
            _f("date_precision", pa.string(), "day | month | year | article (fell back to publication date)."),
            _f("actor1_entity_id", pa.string(), "Agent."),
            _f("actor1_code", pa.string(), "Agent CAMEO actor code."),
            _f("actor1_country_code", pa.string(), "Agent country (ISO alpha-3)."),
            _f("actor1_method", pa.string(), "How Actor1 was found: agent_marker | title | nominative | possessor | "
               "between | headline | relative | speaker (first person in X's report) | pronoun | zero_subject "
               "(resolved to the most recent subject, confidence lowered)."),
            _f("actor2_entity_id", pa.string(), "Patient / recipient."),
            _f("actor2_code", pa.string(), "Patient CAMEO actor code."),
            _f("actor2_country_code", pa.string(), "Patient country (ISO alpha-3)."),
            _f("event_code", pa.string(), "CAMEO event code (string, leading zero kept)."),
            _f("event_root_code", pa.string(), "Two-digit CAMEO root."),
            _f("quad_class", pa.int8(), "1 verbal coop, 2 material coop, 3 verbal conflict, 4 material conflict."),
            _f("goldstein_scale", pa.float64(), "GDELT Goldstein value of the code."),
            _f("plover_type", pa.string(), "PLOVER event type from the CAMEO crosswalk."),
            _f("trigger_text", pa.string(), "Predicate text that triggered the event."),
            _f("start_char", pa.int32(), "Trigger start in articles.text."),
            _f("end_char", pa.int32(), "Trigger end (exclusive)."),
            _f("is_negated", pa.bool_(), "The text says it did not happen."),
            _f("modality", pa.string(), "asserted | future (کرے گا) | intended (promised: کرنے کا عہد) | possible "
               "(کر سکتا، ممکنہ) | conditional (اگر … تو) | alleged (مبینہ; the content of an accusation or claim). "
               "Default views count asserted, non-negated events only."),
            _f("source_entity_id", pa.string(), "Who reports it: 'according to X', X's statement, X's accusation."),
            _f("event_key", pa.string(), "Same actors, code and date across articles share this key; "
               "an undated event's key also includes its article_id."),
            _f("confidence", pa.float64(), "Extraction confidence."),
        ],
        primary_key=["event_id"],
        replace_key="article_id",
    ),
    "relations": _table(
        "Role and affiliation relations (head_of, foreign_minister_of, affiliated_with, …).",
        [
            _f("relation_id", pa.string(), "Hash of article, subject, predicate, object.", False),
            _f("article_id", pa.string(), "Article.", False),
            _f("sentence_index", pa.int32(), "Sentence."),
            _f("subject_entity_id", pa.string(), "Subject entity.", False),
            _f("predicate", pa.string(), "Relation name.", False),
            _f("object_entity_id", pa.string(), "Object entity.", False),
            _f("evidence", pa.string(), "Text span that states it."),
            _f("confidence", pa.float64(), "Confidence."),
        ],
        primary_key=["relation_id"],
        replace_key="article_id",
    ),
    "quarantine": _table(
        "Inputs that could not be loaded, with a specific reason. The bytes are kept under quarantine/.",
        [
            _f("quarantine_id", pa.string(), "Hash of source path, stage and reason.", False),
            _f("source_path", pa.string(), "Offending file (or file#record).", False),
            _f("stage", pa.string(), "Stage that rejected it (ingest, nlp, …).", False),
            _f("reason", pa.string(), "Machine-readable reason: empty, binary, undecodable, mojibake, oversized, …", False),
            _f("detail", pa.string(), "Human-readable detail."),
            _f("stored_path", pa.string(), "Copy of the offending bytes inside the warehouse, if kept."),
            _f("run_id", pa.string(), "Run that quarantined it.", False),
            _f("quarantined_at", TS, "When."),
        ],
        primary_key=["quarantine_id"],
    ),
    "source_files": _table(
        "Every input file a run read (loaded or quarantined), by content hash: the inbox skips files seen before.",
        [
            _f("file_hash", pa.string(), "sha256 of the file's bytes.", False),
            _f("source_path", pa.string(), "Path when first seen.", False),
            _f("size_bytes", pa.int64(), "Size."),
            _f("mtime_ns", pa.int64(), "Modification time (ns since the epoch) when read: with path and size, the "
               "inbox knows the file again without hashing it (null in rows of older versions)."),
            _f("run_id", pa.string(), "Run that first read it.", False),
            _f("seen_at", TS, "When first read.", False),
        ],
        primary_key=["file_hash"],
        on_conflict="ignore",
    ),
    "runs": _table(
        "One row per flow run (upserted by each of its batches with the totals so far).",
        [
            _f("run_id", pa.string(), "khabar run id.", False),
            _f("flow_run_id", pa.string(), "Prefect flow run id."),
            _f("started_at", TS, "Start.", False),
            _f("finished_at", TS, "End."),
            _f("inputs", pa.list_(pa.string()), "Input paths."),
            _f("counts", pa.string(), "JSON object of per-stage counts; stage_seconds: seconds each stage took (before load); "
               "batches: batches loaded; complete: false while (or if a crash left) a later batch unloaded."),
            _f("code_version", pa.string(), "khabar version (+ git commit when known)."),
            _f("model_versions", pa.string(), "JSON object: language -> model version."),
            _f("until_stage", pa.string(), "Last stage run."),
        ],
        primary_key=["run_id"],
    ),
}


def schema(name: str) -> pa.Schema:
    return TABLES[name]


def primary_key(name: str) -> list[str]:
    return TABLES[name].metadata[b"primary_key"].decode().split(",")


def replace_key(name: str) -> str | None:
    value = TABLES[name].metadata.get(b"replace_key")
    return value.decode() if value else None


def key_columns(name: str) -> list[str]:
    """The primary key's columns, then the replace key if it is not one of them: everything a load decides by (the
    warehouse's writer keeps only these; the rows themselves live in the Parquet partitions)."""
    cols = primary_key(name)
    rkey = replace_key(name)
    return cols + ([rkey] if rkey and rkey not in cols else [])


def on_conflict(name: str) -> str:
    return TABLES[name].metadata[b"on_conflict"].decode()


def empty_table(name: str) -> pa.Table:
    return TABLES[name].empty_table()


class SchemaError(ValueError):
    """Rows do not fit their table's schema."""


def to_arrow(name: str, rows: Iterable[dict[str, Any]]) -> pa.Table:
    """Build a validated Arrow table from row dicts; unknown keys are an error, missing nullable keys are null."""
    sch = TABLES[name]
    rows = list(rows)
    known = set(sch.names)
    for row in rows:
        extra = set(row) - known
        if extra:
            raise SchemaError(f"{name}: unknown column(s) {sorted(extra)}")
    columns = {f.name: [row.get(f.name) for row in rows] for f in sch}
    try:
        table = pa.Table.from_pydict(columns, schema=sch)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise SchemaError(f"{name}: {exc}") from exc
    return validate(name, table)


def validate(name: str, table: pa.Table) -> pa.Table:
    """Check a table against its schema: same columns and types, no nulls in non-nullable columns."""
    sch = TABLES[name]
    if table.schema.names != sch.names:
        raise SchemaError(f"{name}: columns {table.schema.names} != {sch.names}")
    for field in sch:
        if not field.nullable and table.column(field.name).null_count:
            raise SchemaError(f"{name}.{field.name}: null in a non-nullable column")
    try:
        return table.cast(sch)
    except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError) as exc:
        raise SchemaError(f"{name}: {exc}") from exc


_DUCK_TYPES = {
    pa.string(): "VARCHAR",
    pa.int8(): "TINYINT",
    pa.int32(): "INTEGER",
    pa.int64(): "BIGINT",
    pa.uint64(): "UBIGINT",
    pa.float64(): "DOUBLE",
    pa.bool_(): "BOOLEAN",
    pa.date32(): "DATE",
    TS: "TIMESTAMPTZ",
}


def duck_type(typ: pa.DataType) -> str:
    """The DuckDB type of an Arrow column type (DDL, and the typed NULLs of a view over missing columns)."""
    if pa.types.is_list(typ):
        return duck_type(typ.value_type) + "[]"
    return _DUCK_TYPES[typ]


def ddl(name: str, with_primary_key: bool = True, table: str | None = None, columns: list[str] | None = None) -> str:
    """CREATE TABLE statement derived from the Arrow schema (named ``table`` if given; only ``columns`` if given,
    in the schema's order). The warehouse's writer creates its tables of key_columns() ``with_primary_key=False``:
    its load keeps keys unique itself (tasks.load), and a DuckDB PRIMARY KEY is an index that every insert into
    the table loads (its memory grows with the table)."""
    sch = TABLES[name]
    cols = [f'"{f.name}" {duck_type(f.type)}{"" if f.nullable else " NOT NULL"}' for f in sch
            if columns is None or f.name in columns]
    if with_primary_key:
        cols.append("PRIMARY KEY (" + ", ".join(primary_key(name)) + ")")
    return f"CREATE TABLE IF NOT EXISTS {table or name} (\n  " + ",\n  ".join(cols) + "\n)"
