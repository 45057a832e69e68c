"""Re-run link + events + relations on already-parsed articles, score them against a gold file, time the stages.

Why: a full `khabar run` re-parses with Stanza and goes through Prefect; when only the linking or event rules
changed, the parse is the same. This reads the parse (sentences, tokens, NER spans) of every gold article from a
warehouse that a real run wrote, runs the current `tasks.link` / `tasks.events` / `tasks.relations` functions on
it in this process, and scores the result with the same code as `khabar eval`. Nothing is written.

    khabar run /tmp/gold30.jsonl --models-dir ../shared/stanza_resources -w /tmp/wh_gold    # once: the parses
    python bench/extraction.py ../shared/data/gold_dev/counter_dev_gold.json -w /tmp/wh_gold [--verbose] [--repeat 3]

Prints entity / event scores (micro), per-type entity recall, and the articles/s of the link and events stages
(medians over --repeat rounds, measured in this process).
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from khabar.cli_eval import (  # noqa: E402
    EVAL_ENTITY_TYPES, Score, _find_article, entity_matches, load_gold, match_count, score_article,
)
from tasks import events as events_mod, link as link_mod, relations as relations_mod  # noqa: E402
from tasks.cameo import load_cameo, lookup  # noqa: E402
from warehouse import connect_readonly  # noqa: E402


def _rows(con, sql: str, params: list) -> list[dict]:
    cur = con.execute(sql, params)
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def read_parsed(warehouse: Path, gold: list[dict]) -> list[tuple[dict, dict, list, list, list]]:
    """(gold article, article row, sentences, tokens, NER spans) for every gold article found in the warehouse."""
    con = connect_readonly(warehouse)
    try:
        out = []
        for g in gold:
            aid = _find_article(con, g)
            if aid is None:
                out.append((g, None, [], [], []))
                continue
            art = _rows(con, "SELECT * FROM articles WHERE article_id = ?", [aid])[0]
            sents = _rows(con, "SELECT * FROM sentences WHERE article_id = ? ORDER BY sentence_index", [aid])
            toks = _rows(con, "SELECT * FROM tokens WHERE article_id = ? ORDER BY sentence_index, token_index", [aid])
            ner = [{**m, "entity_id": None, "found_by": "ner", "link_method": None}
                   for m in _rows(con, "SELECT * FROM mentions WHERE article_id = ? AND model_label IS NOT NULL "
                                       "ORDER BY start_char", [aid])]
            out.append((g, art, sents, toks, ner))
        return out
    finally:
        con.close()


def run_once(parsed, dictionary):
    t0 = time.perf_counter()
    linked = {}
    for g, art, sents, toks, ner in parsed:
        if art is not None:
            linked[art["article_id"]] = link_mod.link_article(art, sents, toks, ner, dictionary)
    t1 = time.perf_counter()
    entity_map = {r["entity_id"]: r for r in link_mod.dictionary_entity_rows(dictionary)}
    for out in linked.values():
        for r in out.entities:
            entity_map.setdefault(r["entity_id"], r)
    evs, rels = {}, {}
    for g, art, sents, toks, ner in parsed:
        if art is not None:
            ms = linked[art["article_id"]].mentions
            evs[art["article_id"]] = events_mod.extract_events(art, sents, toks, ms, entity_map)
            rels[art["article_id"]] = relations_mod.extract_relations(art, sents, toks, ms, entity_map)
    t2 = time.perf_counter()
    return linked, entity_map, evs, t1 - t0, t2 - t1


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("-w", "--warehouse", type=Path, required=True)
    ap.add_argument("--verbose", "-v", action="store_true", help="list missed/spurious events and entities")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args(argv)

    gold = load_gold(args.gold)
    parsed = read_parsed(args.warehouse, gold)
    dictionary = link_mod.load_dictionary()
    cameo = load_cameo()
    quad_of = lambda code: lookup(code, cameo).quad_class  # noqa: E731
    link_times, event_times = [], []
    for _ in range(max(1, args.repeat)):
        linked, entity_map, evs, lt, et = run_once(parsed, dictionary)
        link_times.append(lt)
        event_times.append(et)

    totals = {"entities": Score(), "events_exact": Score(), "events_quad": Score()}
    per_type = {}
    for g, art, *_ in parsed:
        aid = art["article_id"] if art else None
        ents, pred_events = [], []
        if aid:
            ids = {m["entity_id"] for m in linked[aid].mentions if m.get("entity_id")}
            ids |= {eid for eid in [link_mod.dateline_source(art, dictionary)] if eid}  # as khabar eval counts it
            ents = [{**entity_map[i], "wikidata_id": entity_map[i].get("wikidata_id")} for i in sorted(ids)
                    if (entity_map[i].get("entity_type") or "") in EVAL_ENTITY_TYPES]
            seen = {}
            for e in evs[aid]:
                if e["is_negated"] or (e.get("modality") or "asserted") not in ("asserted", "intended", "future"):
                    continue
                a1 = entity_map.get(e["actor1_entity_id"] or "", {})
                a2 = entity_map.get(e["actor2_entity_id"] or "", {})
                row = {"actor1_code": e["actor1_code"], "actor1_name": a1.get("canonical_name"),
                       "actor2_code": e["actor2_code"], "actor2_name": a2.get("canonical_name"),
                       "event_code": e["event_code"], "quad_class": e["quad_class"]}
                key = (row["actor1_code"] or (row["actor1_name"] or "").casefold(),
                       row["actor2_code"] or (row["actor2_name"] or "").casefold(), row["event_code"])
                seen.setdefault(key, row)
            pred_events = list(seen.values())
        res = score_article(g.get("record_id") or g.get("source"), aid, g, ents, pred_events, quad_of)
        for k in totals:
            totals[k].add(getattr(res, k))
        _, missed_ents, spurious_ents = match_count(g.get("entities", []), ents, entity_matches)
        for ge in g.get("entities", []):
            hit = ge not in missed_ents
            t = ge.get("type") or _gold_type(ge, entity_map)
            s = per_type.setdefault(t, [0, 0])
            s[0] += hit
            s[1] += 1
        if args.verbose:
            for ge in missed_ents:
                print(f"  missed entity {res.key}: {ge['name']}")
            for pe in spurious_ents:
                print(f"  spurious entity {res.key}: {pe['canonical_name']} ({pe['entity_type']})")
            for ge in res.missed_events:
                print(f"  missed event {res.key}: {ge['actor1']} -> {ge['actor2']} {ge['code']}  {ge.get('note', '')}")
            for pe in res.spurious_events:
                print(f"  spurious event {res.key}: {pe['actor1_code'] or pe['actor1_name']} -> "
                      f"{pe['actor2_code'] or pe['actor2_name']} {pe['event_code']}")
    n = sum(1 for _, art, *_ in parsed if art is not None)
    fmt = lambda s: f"P {s.precision:.2f} / R {s.recall:.2f} ({s.tp}/{s.n_pred}/{s.n_gold})"  # noqa: E731
    print(f"articles       {n}")
    print(f"entities       {fmt(totals['entities'])}")
    print(f"events exact   {fmt(totals['events_exact'])}")
    print(f"events quad    {fmt(totals['events_quad'])}")
    print("entity recall by type: " + ", ".join(f"{t} {h}/{c}" for t, (h, c) in sorted(per_type.items())))
    lt, et = statistics.median(link_times), statistics.median(event_times)
    print(f"link   {n / lt:.1f} articles/s   events+relations {n / et:.1f} articles/s   (medians of {len(link_times)})")
    return 0


def _gold_type(ge: dict, entity_map: dict) -> str:
    """Type of a gold entity as the dictionary knows it (by QID or name), else 'unknown'."""
    for e in entity_map.values():
        if (ge.get("wikidata") and e.get("wikidata_id") == ge["wikidata"]) or \
                (e.get("canonical_name") or "").casefold() == ge["name"].casefold():
            return e.get("entity_type") or "unknown"
    return "not in dictionary"


if __name__ == "__main__":
    raise SystemExit(main())
