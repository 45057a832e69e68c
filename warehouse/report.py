"""An analyst's report of the warehouse as ONE self-contained HTML file (no network at view time).

``build_report(con, ...)`` reads a read-only DuckDB connection and returns the HTML: a timeline of events by
QuadClass with the mean Goldstein score, the actor network, a dyad x QuadClass heat map, the top asserted events
with their evidence sentences (trigger and actors highlighted) and sources, the entities with every spelling seen,
and what the runs did. Charts are Vega-Lite specs built with Altair and drawn in the browser by Vega, whose scripts
(vl-convert's offline bundle) are inlined. The graph layout is networkx's. ``network_graph`` and ``events_rows`` are
the data behind ``khabar export``.

Only asserted events count in every chart and table (as in the ``dyads`` and ``event_summary`` views): not negated
and modality ``asserted`` (or unknown). An event's date is its ``event_date``, else its article's publication date;
``since``/``until`` filter on that date (undated events are left out when either is given).
"""
from __future__ import annotations

import html
import json
import math
import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Sequence

import duckdb

QUAD_NAMES = {1: "Verbal cooperation", 2: "Material cooperation", 3: "Verbal conflict", 4: "Material conflict"}
QUAD_COLORS = ["#1a9850", "#91cf60", "#fc8d59", "#d73027"]
URDU_FONTS = ('"Noto Nastaliq Urdu", "Jameel Noori Nastaleeq", "Noto Naskh Arabic", "Noto Sans Arabic", '
              '"DejaVu Sans", serif')
VEGA_LITE_VERSION = "6.4"  # the Vega-Lite that Altair 6.3 writes specs for (vl-convert bundles it)
ASSERTED = "NOT coalesce(e.is_negated, false) AND coalesce(e.modality, 'asserted') = 'asserted'"
_LATIN = re.compile(r"[A-Za-z]")
_ARABIC = re.compile(r"[\u0600-\u06FF\u0750-\u077F\uFB50-\uFDFF\uFE70-\uFEFF]")


class EmptyWarehouse(ValueError):
    """The warehouse holds no articles (nothing to report)."""


class UnknownActor(ValueError):
    """An --actor matched no entity name, alias, id or actor code."""


@dataclass(frozen=True)
class Filters:
    since: date | None = None
    until: date | None = None
    actors: tuple[str, ...] = ()


# ---------------------------------------------------------------------------------------------------- queries

def _rows(con: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cur = con.execute(sql, list(params))
    cols = [d[0] for d in cur.description]
    return [dict(zip(cols, r)) for r in cur.fetchall()]


def resolve_actors(con: duckdb.DuckDBPyConnection, actors: Iterable[str]) -> tuple[list[str], list[str]]:
    """(entity ids, actor codes) matching each name, alias, entity id or CAMEO actor code (case-insensitive)."""
    ids: list[str] = []
    codes: list[str] = []
    for actor in actors:
        key = actor.strip()
        found = [r[0] for r in con.execute(
            "SELECT entity_id FROM entities WHERE entity_id = ? OR lower(canonical_name) = lower(?) "
            "OR list_contains(list_transform(aliases, lambda x: lower(x)), lower(?))", [key, key, key]).fetchall()]
        code_hit = con.execute("SELECT count(*) FROM events WHERE actor1_code = upper(?) OR actor2_code = upper(?)",
                               [key, key]).fetchone()[0]
        if not found and not code_hit:
            raise UnknownActor(f"no actor matches {actor!r} (give a name, an alias, an entity id or an actor code)")
        ids += found
        if code_hit:
            codes.append(key.upper())
    return ids, codes


def _event_where(con: duckdb.DuckDBPyConnection, f: Filters) -> tuple[str, list[Any]]:
    """WHERE clause (over events e joined to articles a) for asserted events within the filters."""
    where = [ASSERTED]
    params: list[Any] = []
    day = "coalesce(e.event_date, CAST(a.published_at AS DATE))"
    if f.since:
        where.append(f"{day} >= ?")
        params.append(f.since)
    if f.until:
        where.append(f"{day} <= ?")
        params.append(f.until)
    if f.actors:
        ids, codes = resolve_actors(con, f.actors)
        alts = []
        for col in ("actor1_entity_id", "actor2_entity_id"):
            if ids:
                alts.append(f"e.{col} IN ({', '.join('?' * len(ids))})")
                params += ids
        for col in ("actor1_code", "actor2_code"):
            if codes:
                alts.append(f"e.{col} IN ({', '.join('?' * len(codes))})")
                params += codes
        where.append("(" + " OR ".join(alts) + ")")
    return " AND ".join(where), params


def _filtered_events(con: duckdb.DuckDBPyConnection, f: Filters) -> list[dict[str, Any]]:
    where, params = _event_where(con, f)
    return _rows(con, f"""
        SELECT e.*, coalesce(e.event_date, CAST(a.published_at AS DATE)) AS day,
               coalesce(n1.canonical_name, e.actor1_code) AS actor1_name,
               coalesce(n2.canonical_name, e.actor2_code) AS actor2_name,
               coalesce(e.actor1_entity_id, 'code:' || e.actor1_code) AS actor1_key,
               coalesce(e.actor2_entity_id, 'code:' || e.actor2_code) AS actor2_key
        FROM events e JOIN articles a USING (article_id)
        LEFT JOIN entities n1 ON n1.entity_id = e.actor1_entity_id
        LEFT JOIN entities n2 ON n2.entity_id = e.actor2_entity_id
        WHERE {where}
        ORDER BY e.event_id""", params)


def _cameo_names() -> dict[str, str]:
    try:
        from tasks.cameo import load_cameo
        return {code: c.name for code, c in load_cameo().items()}
    except Exception:  # the report still draws without names
        return {}


def _cameo_name(code: str | None, names: dict[str, str]) -> str:
    if not code:
        return ""
    return names.get(code) or names.get(code[:3]) or names.get(code[:2]) or ""


def _urdu_spellings(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """entity_id -> its most frequent Urdu spelling in the text."""
    out: dict[str, str] = {}
    for eid, text, _n in con.execute(
            "SELECT entity_id, text, count(*) AS n FROM mentions WHERE entity_id IS NOT NULL "
            "GROUP BY ALL ORDER BY entity_id, n DESC, text").fetchall():
        out.setdefault(eid, text)
    return out


def _label(name: str | None, urdu: str | None) -> str:
    """English name beside the Urdu one where both exist."""
    name = name or ""
    if urdu and name and _LATIN.search(name) and urdu != name:
        return f"{name} · {urdu}"
    return name or urdu or "?"


def _name_html(name: str | None, urdu: str | None) -> str:
    """The English name beside the Urdu spelling (each in its direction) where both exist."""
    if name and urdu and _LATIN.search(name) and urdu != name:
        return f"{html.escape(name)} {_ur(urdu)}"
    return _ur(name or urdu or "—")


def network_graph(con: duckdb.DuckDBPyConnection, filters: Filters = Filters()):
    """The actor network as a networkx DiGraph: a node per actor (entity, else actor code) with its name, Urdu
    spelling, actor code and mention count; an edge per directed dyad with event counts per QuadClass and the mean
    Goldstein score (asserted events with both actors)."""
    import networkx as nx

    events = [e for e in _filtered_events(con, filters) if e["actor1_key"] and e["actor2_key"]]
    urdu = _urdu_spellings(con)
    mentions = dict(con.execute("SELECT entity_id, count(*) FROM mentions WHERE entity_id IS NOT NULL "
                                "GROUP BY ALL").fetchall())
    g = nx.DiGraph()
    for e in events:
        for side in ("actor1", "actor2"):
            key = e[f"{side}_key"]
            if key not in g:
                eid = e[f"{side}_entity_id"]
                g.add_node(key, name=e[f"{side}_name"] or "", urdu=urdu.get(eid, "") if eid else "",
                           actor_code=e[f"{side}_code"] or "", mentions=int(mentions.get(eid, 0)) if eid else 0,
                           events=0)
            g.nodes[key]["events"] += 1
        u, v = e["actor1_key"], e["actor2_key"]
        if not g.has_edge(u, v):
            g.add_edge(u, v, events=0, verbal_coop=0, material_coop=0, verbal_conflict=0, material_conflict=0,
                       goldstein_sum=0.0, codes="")
        d = g.edges[u, v]
        d["events"] += 1
        quad = {1: "verbal_coop", 2: "material_coop", 3: "verbal_conflict", 4: "material_conflict"}.get(
            e["quad_class"])
        if quad:
            d[quad] += 1
        d["goldstein_sum"] += float(e["goldstein_scale"] or 0.0)
        codes = set(filter(None, d["codes"].split(" "))) | {e["event_code"]}
        d["codes"] = " ".join(sorted(c for c in codes if c))
    for _u, _v, d in g.edges(data=True):
        d["mean_goldstein"] = round(d.pop("goldstein_sum") / d["events"], 3)
    for _n, d in g.nodes(data=True):
        d["label"] = _label(d["name"], d["urdu"])
        d["short"] = d["name"] or d["urdu"] or "?"
    return g


GDELT_COLUMNS = ("GLOBALEVENTID", "SQLDATE", "Actor1Code", "Actor1Name", "Actor1CountryCode", "Actor2Code",
                 "Actor2Name", "Actor2CountryCode", "EventCode", "EventRootCode", "QuadClass", "GoldsteinScale",
                 "EventKey", "ArticleId", "DATEADDED", "SOURCEURL", "TriggerText", "PloverType", "Confidence")


def events_rows(con: duckdb.DuckDBPyConnection, filters: Filters = Filters()) -> list[dict[str, Any]]:
    """GDELT-style event rows (one per event mention), asserted events within the filters."""
    where, params = _event_where(con, filters)
    return _rows(con, f"""
        SELECT e.event_id AS GLOBALEVENTID, strftime(coalesce(e.event_date, CAST(a.published_at AS DATE)), '%Y%m%d')
                   AS SQLDATE,
               e.actor1_code AS Actor1Code, n1.canonical_name AS Actor1Name,
               e.actor1_country_code AS Actor1CountryCode,
               e.actor2_code AS Actor2Code, n2.canonical_name AS Actor2Name,
               e.actor2_country_code AS Actor2CountryCode,
               e.event_code AS EventCode, e.event_root_code AS EventRootCode, e.quad_class AS QuadClass,
               e.goldstein_scale AS GoldsteinScale, e.event_key AS EventKey, e.article_id AS ArticleId,
               strftime(a.published_at, '%Y%m%d%H%M%S') AS DATEADDED,
               coalesce(a.source_url, a.source_path) AS SOURCEURL, e.trigger_text AS TriggerText,
               e.plover_type AS PloverType, e.confidence AS Confidence
        FROM events e JOIN articles a USING (article_id)
        LEFT JOIN entities n1 ON n1.entity_id = e.actor1_entity_id
        LEFT JOIN entities n2 ON n2.entity_id = e.actor2_entity_id
        WHERE {where}
        ORDER BY SQLDATE NULLS LAST, e.event_id""", params)


# ----------------------------------------------------------------------------------------------------- charts

def _timeline_spec(events: list[dict[str, Any]]) -> tuple[dict | None, str]:
    import altair as alt

    dated = [e for e in events if e["day"] is not None]
    note = f"{len(events) - len(dated)} asserted event(s) have no date (neither the event's nor its article's)."
    if not dated:
        return None, note
    days = [e["day"] for e in dated]
    weekly = (max(days) - min(days)).days > 92
    unit = "yearweek" if weekly else "yearmonthdate"
    period = "week" if weekly else "day"
    values = [{"date": e["day"].isoformat(), "quad": QUAD_NAMES.get(e["quad_class"], "unknown"),
               "goldstein": float(e["goldstein_scale"] or 0.0)} for e in dated]
    # a few periods: one band each (a lone day would otherwise fill the axis); many: a continuous time axis
    n_periods = len({(d.isocalendar()[:2] if weekly else d) for d in days})
    kind = "O" if n_periods <= 40 else "T"
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X(f"{unit}(date):{kind}", title=f"event date (per {period})",
                axis=alt.Axis(format="%Y-%m-%d", formatType="time", labelAngle=0 if kind == "T" else -40)))
    bars = base.mark_bar(width={"band": 0.8} if kind == "O" else alt.Undefined).encode(
        y=alt.Y("count():Q", title="events", stack="zero"),
        color=alt.Color("quad:N", title="QuadClass", scale=alt.Scale(domain=list(QUAD_NAMES.values()),
                                                                     range=QUAD_COLORS)),
        tooltip=[alt.Tooltip(f"{unit}(date):T", title=period, format="%Y-%m-%d"),
                 alt.Tooltip("quad:N", title="QuadClass"), alt.Tooltip("count():Q", title="events")])
    dot = alt.OverlayMarkDef(size=70, color="#222", filled=True)
    line = base.mark_line(point=dot, color="#222", strokeWidth=2).encode(
        y=alt.Y("mean(goldstein):Q", title="mean Goldstein", scale=alt.Scale(domain=[-10, 10])),
        tooltip=[alt.Tooltip(f"{unit}(date):T", title=period, format="%Y-%m-%d"),
                 alt.Tooltip("mean(goldstein):Q", title="mean Goldstein", format=".2f")])
    chart = alt.layer(bars, line).resolve_scale(y="independent").properties(width="container", height=260)
    return chart.to_dict(), note


def _layout(g) -> dict[str, tuple[float, float]]:
    """networkx's force-directed layout; a weak hub tied to every node keeps unconnected parts from drifting off."""
    import networkx as nx

    u = nx.Graph()
    u.add_nodes_from(sorted(g.nodes))
    for a, b, d in g.edges(data=True):
        if a != b:
            w = u.edges[a, b]["weight"] if u.has_edge(a, b) else 0.0
            u.add_edge(a, b, weight=w + 1.0 + math.log1p(d["events"]))
    hub = object()
    u.add_edges_from(((hub, n) for n in list(u.nodes)), weight=0.08)
    pos = nx.spring_layout(u, seed=7, weight="weight", k=2.2 / math.sqrt(max(u.number_of_nodes(), 1)),
                           iterations=300)
    return {n: (float(x), float(y)) for n, (x, y) in pos.items() if n is not hub}


def _network_spec(g, top_labels: int = 8, max_nodes: int = 45, node_labels: int = 25) -> dict | None:
    import altair as alt

    if g.number_of_edges() == 0:
        return None
    if g.number_of_nodes() > max_nodes:
        keep = sorted(g.nodes, key=lambda n: (-g.nodes[n]["events"], n))[:max_nodes]
        g = g.subgraph(keep).copy()
    pos = _layout(g)
    named = set(sorted(g.nodes, key=lambda n: (-g.nodes[n]["events"], n))[:node_labels])
    nodes = [{"id": n, "x": pos[n][0], "y": pos[n][1], "label": d["label"], "code": d["actor_code"],
              "mentions": d["mentions"], "events": d["events"]} for n, d in g.nodes(data=True)]
    ranked = sorted(g.edges(data=True), key=lambda t: (-t[2]["events"], t[0], t[1]))
    labelled = {(u, v) for u, v, _d in ranked[:top_labels]}
    edges, heads, labels = [], [], []
    for u, v, d in ranked:
        (x1, y1), (x2, y2) = pos[u], pos[v]
        row = {"source": g.nodes[u]["short"], "target": g.nodes[v]["short"], "events": d["events"],
               "verbal_coop": d["verbal_coop"], "material_coop": d["material_coop"],
               "verbal_conflict": d["verbal_conflict"], "material_conflict": d["material_conflict"],
               "goldstein": d["mean_goldstein"], "codes": d["codes"]}
        if u == v:
            continue
        edges.append({**row, "x": x1, "y": y1, "x2": x2, "y2": y2})
        # the arrow head sits 70% of the way to the target, so that A->B and B->A show apart
        angle = (90 - math.degrees(math.atan2(y2 - y1, x2 - x1))) % 360
        heads.append({**row, "x": x1 + 0.7 * (x2 - x1), "y": y1 + 0.7 * (y2 - y1), "angle": angle})
        if (u, v) in labelled:
            labels.append({**row, "x": x1 + 0.45 * (x2 - x1), "y": y1 + 0.45 * (y2 - y1),
                           "text": f"{d['events']} ({d['codes']})"})
    xs = [p[0] for p in pos.values()]
    ys = [p[1] for p in pos.values()]
    pad = 0.25
    xdom = [min(xs) - pad, max(xs) + pad]
    ydom = [min(ys) - pad, max(ys) + pad]
    x = alt.X("x:Q", axis=None, scale=alt.Scale(domain=xdom))
    y = alt.Y("y:Q", axis=None, scale=alt.Scale(domain=ydom))
    gold = alt.Color("goldstein:Q", title="mean Goldstein", scale=alt.Scale(scheme="redyellowgreen",
                                                                            domain=[-10, 10]))
    tip = [alt.Tooltip("source:N", title="actor 1"), alt.Tooltip("target:N", title="actor 2"),
           alt.Tooltip("events:Q"), alt.Tooltip("verbal_coop:Q", title="verbal coop."),
           alt.Tooltip("material_coop:Q", title="material coop."),
           alt.Tooltip("verbal_conflict:Q", title="verbal conflict"),
           alt.Tooltip("material_conflict:Q", title="material conflict"),
           alt.Tooltip("goldstein:Q", title="mean Goldstein", format=".2f"), alt.Tooltip("codes:N", title="CAMEO")]
    edge_layer = alt.Chart(alt.Data(values=edges)).mark_rule(opacity=0.75).encode(
        x=x, y=y, x2="x2:Q", y2="y2:Q", color=gold,
        strokeWidth=alt.StrokeWidth("events:Q", scale=alt.Scale(range=[1.5, 7]), legend=None), tooltip=tip)
    head_layer = alt.Chart(alt.Data(values=heads)).mark_point(shape="triangle-up", filled=True, size=140,
                                                              opacity=0.95).encode(
        x=x, y=y, angle=alt.Angle("angle:Q", scale=None), color=gold, tooltip=tip)
    node_layer = alt.Chart(alt.Data(values=nodes)).mark_circle(color="#4c78a8", opacity=0.85,
                                                               stroke="white").encode(
        x=x, y=y, size=alt.Size("mentions:Q", title="mentions", scale=alt.Scale(range=[80, 1600])),
        tooltip=[alt.Tooltip("label:N", title="actor"), alt.Tooltip("code:N", title="actor code"),
                 alt.Tooltip("mentions:Q"), alt.Tooltip("events:Q", title="events in dyads")])
    node_text = alt.Chart(alt.Data(values=[n for n in nodes if n["id"] in named])).mark_text(dy=-16, fontSize=12, font=URDU_FONTS).encode(
        x=x, y=y, text="label:N")
    edge_text = alt.Chart(alt.Data(values=labels)).mark_text(fontSize=10, color="#555", dy=8).encode(
        x=x, y=y, text="text:N")
    chart = alt.layer(edge_layer, head_layer, node_layer, node_text, edge_text).properties(
        width="container", height=560).configure_view(stroke=None)
    return chart.to_dict()


def _heatmap_spec(g, top: int = 20) -> dict | None:
    import altair as alt

    ranked = sorted(g.edges(data=True), key=lambda t: (-t[2]["events"], t[0], t[1]))[:top]
    if not ranked:
        return None
    values = []
    order = []
    for u, v, d in ranked:
        dyad = f"{g.nodes[u]['short']} → {g.nodes[v]['short']}"
        order.append(dyad)
        for q, key in ((1, "verbal_coop"), (2, "material_coop"), (3, "verbal_conflict"), (4, "material_conflict")):
            values.append({"dyad": dyad, "quad": QUAD_NAMES[q], "events": d[key], "goldstein": d["mean_goldstein"]})
    base = alt.Chart(alt.Data(values=values)).encode(
        x=alt.X("quad:N", title="QuadClass", sort=list(QUAD_NAMES.values()), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("dyad:N", title=None, sort=order, axis=alt.Axis(labelFont=URDU_FONTS, labelLimit=420)))
    rect = base.mark_rect().encode(
        color=alt.Color("events:Q", scale=alt.Scale(scheme="blues"), title="events"),
        tooltip=[alt.Tooltip("dyad:N"), alt.Tooltip("quad:N", title="QuadClass"), alt.Tooltip("events:Q"),
                 alt.Tooltip("goldstein:Q", title="dyad mean Goldstein", format=".2f")])
    text = base.mark_text(fontSize=11).encode(text=alt.Text("events:Q"),
                                              color=alt.condition("datum.events > 0", alt.value("#000"),
                                                                  alt.value("#bbb")))
    return alt.layer(rect, text).properties(width=520, height=alt.Step(22)).to_dict()


def timeline_png(con: duckdb.DuckDBPyConnection, width: int = 480) -> bytes | None:
    """A small PNG of the timeline (for a run's artifact), or None when no asserted event has a date."""
    import vl_convert as vlc

    spec, _ = _timeline_spec(_filtered_events(con, Filters()))
    if spec is None:
        return None
    spec = {**spec, "width": width, "height": 140}
    return vlc.vegalite_to_png(spec, vl_version=VEGA_LITE_VERSION, scale=1)


def warm_up() -> None:
    """Import what write_report_file needs and render one tiny chart, for a run to do in a thread while its
    workers parse: altair's import (~0.3 s) and vl-convert's first render (~0.3 s: it starts a JavaScript
    engine) are then not paid after the load, when nothing else runs."""
    import altair  # noqa: F401
    import networkx  # noqa: F401
    import vl_convert as vlc

    vlc.vegalite_to_png({"data": {"values": [{"x": 1}]}, "mark": "point", "encoding": {"x": {"field": "x"}}},
                        vl_version=VEGA_LITE_VERSION, scale=1)
    vega_bundle()


@lru_cache(maxsize=1)
def vega_bundle() -> str:
    """Vega, Vega-Lite and vega-embed as one inline-able script (vl-convert bundles them; no network)."""
    import vl_convert as vlc

    from khabar.cache import cached

    # ~1 s a process to bundle (every run writes the report): kept per vl-convert and Vega-Lite version
    return cached(f"vega-bundle-{vlc.__version__}-{VEGA_LITE_VERSION}.pickle",
                  lambda: vlc.javascript_bundle(vl_version=VEGA_LITE_VERSION), stale_glob="vega-bundle-*")


# ------------------------------------------------------------------------------------------------------ tables

def _esc(value: Any) -> str:
    return html.escape("" if value is None else str(value))


def _ur(text: Any, tag: str = "span") -> str:
    """Urdu (any Arabic-script) text right-to-left, in the Urdu font stack; other text as is."""
    s = "" if text is None else str(text)
    if _ARABIC.search(s):
        return f'<{tag} class="ur" dir="rtl" lang="ur">{html.escape(s)}</{tag}>'
    return f"<{tag}>{html.escape(s)}</{tag}>"


def _highlight(text: str, spans: list[tuple[int, int, str]]) -> str:
    """text with the (start, end, css class) spans wrapped in <mark>; overlapping spans after the first dropped."""
    out, pos = [], 0
    for start, end, cls in sorted(spans):
        start, end = max(start, 0), min(end, len(text))
        if start < pos or end <= start:
            continue
        out += [html.escape(text[pos:start]), f'<mark class="{cls}">', html.escape(text[start:end]), "</mark>"]
        pos = end
    out.append(html.escape(text[pos:]))
    return "".join(out)


def _top_events(con: duckdb.DuckDBPyConnection, events: list[dict[str, Any]], names: dict[str, str],
                limit: int) -> str:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for e in events:
        groups[e["event_key"] or e["event_id"]].append(e)
    ranked = sorted(groups.values(), key=lambda es: (-len(es), -len({x["article_id"] for x in es}),
                                                      min(x["event_id"] for x in es)))[:limit]
    if not ranked:
        return "<p>No asserted events.</p>"
    urdu = _urdu_spellings(con)
    rows = []
    for es in ranked:
        e = min(es, key=lambda x: x["event_id"])
        sent = con.execute("SELECT s.start_char, s.end_char, a.text FROM sentences s JOIN articles a USING "
                           "(article_id) WHERE s.article_id = ? AND s.sentence_index = ?",
                           [e["article_id"], e["sentence_index"]]).fetchone()
        evidence = ""
        if sent and sent[2]:
            s0, s1, text = sent
            spans = [(e["start_char"] - s0, e["end_char"] - s0, "trigger")] if e["start_char"] is not None else []
            actor_ids = [x for x in (e["actor1_entity_id"], e["actor2_entity_id"]) if x]
            if actor_ids:
                for m0, m1 in con.execute(
                        f"SELECT start_char, end_char FROM mentions WHERE article_id = ? AND sentence_index = ? "
                        f"AND entity_id IN ({', '.join('?' * len(actor_ids))})",
                        [e["article_id"], e["sentence_index"], *actor_ids]).fetchall():
                    spans.append((m0 - s0, m1 - s0, "actor"))
            evidence = (f'<p class="ur evidence" dir="rtl" lang="ur">{_highlight(text[s0:s1], spans)}</p>')
        arts = _rows(con, f"SELECT article_id, title, source_url, source_path, published_at FROM articles "
                          f"WHERE article_id IN ({', '.join('?' * len({x['article_id'] for x in es}))}) "
                          f"ORDER BY published_at NULLS LAST, article_id",
                     sorted({x["article_id"] for x in es}))
        sources = "".join(
            f"<li>{_ur(a['title'] or a['source_path'].rsplit('/', 1)[-1])}"
            + (f' <a href="{_esc(a["source_url"])}">{_esc(a["source_url"])}</a>' if a["source_url"] else
               f" <code>{_esc(a['source_path'])}</code>")
            + "</li>" for a in arts)
        a1 = _name_html(e["actor1_name"], urdu.get(e["actor1_entity_id"] or ""))
        a2 = _name_html(e["actor2_name"], urdu.get(e["actor2_entity_id"] or ""))
        quad = QUAD_NAMES.get(e["quad_class"], "")
        rows.append(
            f'<tr class="q{e["quad_class"] or 0}"><td>{_esc(e["day"] or "undated")}</td>'
            f'<td>{a1} <small>{_esc(e["actor1_code"] or "")}</small></td>'
            f'<td><b>{_esc(e["event_code"])}</b> {_esc(_cameo_name(e["event_code"], names))}'
            f'<br><small>{_esc(quad)}, Goldstein {_esc(e["goldstein_scale"])}</small></td>'
            f'<td>{a2} <small>{_esc(e["actor2_code"] or "")}</small></td>'
            f'<td class="num">{len(es)} / {len(arts)}</td>'
            f'<td class="ev">{evidence}<ul class="src">{sources}</ul></td></tr>')
    return ('<table class="events"><thead><tr><th>date</th><th>actor 1</th><th>event (CAMEO)</th><th>actor 2</th>'
            '<th>mentions / articles</th><th>evidence and sources</th></tr></thead><tbody>'
            + "".join(rows) + "</tbody></table>")


def _entities_table(con: duckdb.DuckDBPyConnection, article_ids: list[str] | None, limit: int) -> str:
    where, params = "", []
    if article_ids is not None:
        if not article_ids:
            return "<p>No entities.</p>"
        where = f"AND m.article_id IN ({', '.join('?' * len(article_ids))})"
        params = list(article_ids)
    rows = con.execute(f"""
        SELECT n.canonical_name, n.entity_type, n.actor_code, n.wikidata_id, n.is_provisional,
               count(*) AS mentions, count(DISTINCT m.article_id) AS articles,
               list(DISTINCT m.text ORDER BY m.text) AS spellings
        FROM mentions m JOIN entities n USING (entity_id)
        WHERE TRUE {where}
        GROUP BY ALL ORDER BY mentions DESC, n.canonical_name LIMIT {int(limit)}""", params).fetchall()
    if not rows:
        return "<p>No entities.</p>"
    body = "".join(
        f"<tr><td>{_ur(name)}{' <small>(provisional)</small>' if prov else ''}</td><td>{_esc(etype)}</td>"
        f"<td>{_esc(code)}</td><td>{_esc(wd)}</td><td class='num'>{n}</td><td class='num'>{arts}</td>"
        f'<td class="ur" dir="rtl" lang="ur">{"، ".join(html.escape(s) for s in spellings)}</td></tr>'
        for name, etype, code, wd, prov, n, arts, spellings in rows)
    return ("<table><thead><tr><th>entity</th><th>type</th><th>actor code</th><th>Wikidata</th><th>mentions</th>"
            "<th>articles</th><th>spellings seen</th></tr></thead><tbody>" + body + "</tbody></table>")


def _runs_section(con: duckdb.DuckDBPyConnection) -> str:
    runs = _rows(con, "SELECT run_id, started_at, finished_at, inputs, counts, until_stage, code_version FROM runs "
                      "ORDER BY started_at")
    stages: list[str] = []
    parsed = []
    for r in runs:
        try:
            counts = json.loads(r["counts"] or "{}")
        except ValueError:
            counts = {}
        secs = counts.pop("stage_seconds", {}) if isinstance(counts.get("stage_seconds"), dict) else {}
        stages += [s for s in secs if s not in stages]
        parsed.append((r, counts, secs))
    head = ("<tr><th>run</th><th>started (UTC)</th><th>seconds</th><th>until</th><th>inputs</th><th>documents</th>"
            "<th>articles</th><th>duplicates</th><th>quarantined</th><th>events</th>"
            + "".join(f"<th>{_esc(s)} s</th>" for s in stages) + "</tr>")
    body = []
    for r, counts, secs in parsed:
        took = (r["finished_at"] - r["started_at"]).total_seconds() if r["finished_at"] and r["started_at"] else None
        body.append(
            f"<tr><td><code>{_esc(r['run_id'])}</code></td><td>{_esc(str(r['started_at'])[:19])}</td>"
            f"<td class='num'>{'' if took is None else f'{took:.1f}'}</td><td>{_esc(r['until_stage'])}</td>"
            f"<td><small>{_esc(', '.join(r['inputs'] or []))}</small></td>"
            + "".join(f"<td class='num'>{_esc(counts.get(k, ''))}</td>"
                      for k in ("documents", "articles", "duplicates", "quarantined", "events"))
            + "".join(f"<td class='num'>{_esc(secs.get(s, ''))}</td>" for s in stages) + "</tr>")
    art = con.execute("SELECT count(*), count(*) FILTER (WHERE duplicate_of IS NOT NULL), "
                      "count(*) FILTER (WHERE nlp_status IS NOT NULL AND nlp_status <> 'ok') FROM articles").fetchone()
    quar = con.execute("SELECT stage, reason, count(*) FROM quarantine GROUP BY ALL ORDER BY 3 DESC, 1, 2").fetchall()
    qtable = ("<table><thead><tr><th>stage</th><th>reason</th><th>files</th></tr></thead><tbody>"
              + "".join(f"<tr><td>{_esc(s)}</td><td>{_esc(r)}</td><td class='num'>{n}</td></tr>" for s, r, n in quar)
              + "</tbody></table>") if quar else "<p>Nothing was quarantined.</p>"
    return (f"<p>{art[0]} article(s) in the warehouse, {art[1]} of them duplicates of another, "
            f"{sum(n for *_x, n in quar)} file(s) or record(s) quarantined.</p>"
            f"<table><thead>{head}</thead><tbody>{''.join(body)}</tbody></table>"
            f"<h3>Quarantined, by reason</h3>{qtable}")


# ------------------------------------------------------------------------------------------------------ report

CSS = """
body { font-family: system-ui, "DejaVu Sans", sans-serif; margin: 0 auto; max-width: 1340px; padding: 0 18px 40px;
       color: #222; }
h1 { margin-bottom: 0; } h2 { border-bottom: 1px solid #ccc; margin-top: 36px; }
.ur { font-family: %(ur)s; line-height: 2.1; }
.chart { width: 100%%; min-height: 120px; }
table { border-collapse: collapse; width: 100%%; font-size: 14px; }
th, td { border-bottom: 1px solid #e5e5e5; padding: 4px 6px; text-align: left; vertical-align: top; }
th { background: #f4f4f4; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
td.ev { width: 46%%; } .evidence { margin: 0; font-size: 17px; text-align: right; }
mark.trigger { background: #ffd54f; } mark.actor { background: #b3d4fc; }
ul.src { margin: 2px 0 0; padding-inline-start: 18px; font-size: 12px; } ul.src a { word-break: break-all; }
tr.q1 td:first-child { border-left: 4px solid #1a9850; } tr.q2 td:first-child { border-left: 4px solid #91cf60; }
tr.q3 td:first-child { border-left: 4px solid #fc8d59; } tr.q4 td:first-child { border-left: 4px solid #d73027; }
.note { color: #666; font-size: 13px; } .error { color: #b00; }
.legend mark { padding: 0 4px; }
""" % {"ur": URDU_FONTS}

EMBED_JS = """
const specs = JSON.parse(document.getElementById('khabar-specs').textContent);
const done = [];
for (const [id, spec] of Object.entries(specs)) {
  const el = document.getElementById(id);
  done.push(vegaEmbed(el, spec, {renderer: 'svg', actions: false})
    .then(() => { el.dataset.rendered = 'ok'; })
    .catch((err) => { el.dataset.rendered = 'error'; el.textContent = 'chart failed: ' + err;
                      console.error('khabar chart ' + id + ': ' + err); }));
}
Promise.all(done).then(() => { document.body.dataset.charts = 'done'; });
"""


def check_not_empty(con: duckdb.DuckDBPyConnection) -> int:
    """The number of articles; EmptyWarehouse when there are none (or no articles table at all)."""
    try:
        n = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    except duckdb.CatalogException:
        n = 0
    if not n:
        raise EmptyWarehouse("no articles in this warehouse (run `khabar run INPUT` first)")
    return int(n)


def build_report(con: duckdb.DuckDBPyConnection, *, since: date | None = None, until: date | None = None,
                 actors: Sequence[str] = (), top_events: int = 30, top_dyads: int = 20, top_entities: int = 150,
                 title: str = "khabar report") -> str:
    """The report as one self-contained HTML document. Raises EmptyWarehouse when there are no articles and
    UnknownActor when an actor matches nothing."""
    n_articles = check_not_empty(con)
    filters = Filters(since=since, until=until, actors=tuple(actors))
    events = _filtered_events(con, filters)
    names = _cameo_names()
    g = network_graph(con, filters)
    specs: dict[str, dict] = {}
    timeline, timeline_note = _timeline_spec(events)
    network = _network_spec(g)
    heatmap = _heatmap_spec(g, top=top_dyads)

    def chart(key: str, spec: dict | None, empty: str) -> str:
        if spec is None:
            return f'<p class="note">{_esc(empty)}</p>'
        specs[f"chart-{key}"] = spec
        return f'<div class="chart" id="chart-{key}"></div>'

    filtered = bool(since or until or actors)
    article_ids = sorted({e["article_id"] for e in events}) if filtered else None
    days = [e["day"] for e in events if e["day"]]
    scope = ", ".join(filter(None, [f"since {since}" if since else "", f"until {until}" if until else "",
                                    f"actors: {', '.join(actors)}" if actors else ""])) or "everything"
    generated = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [
        '<!doctype html><html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{_esc(title)}</h1>",
        f'<p class="note">Generated {generated} · scope: {_esc(scope)} · {n_articles} article(s) · '
        f'{len(events)} asserted event(s)'
        + (f", dated {min(days)} to {max(days)}" if days else "") + " · asserted = not negated, modality asserted"
        " (not conditional, alleged, possible, intended or future).</p>",
        "<h2>Timeline</h2>",
        "<p class='note'>Events per period by QuadClass (stacked bars, left axis) and the mean Goldstein score "
        f"(line, right axis, −10 conflict … +10 cooperation). {_esc(timeline_note)}</p>",
        chart("timeline", timeline, "No dated asserted events to draw."),
        "<h2>Actor network</h2>",
        "<p class='note'>Actors sized by mentions; an arrow per directed dyad (actor 1 → actor 2), as thick as its "
        "event count and coloured by its mean Goldstein score; the top dyads are labelled with their event count "
        "and CAMEO codes. Hover for the dyad's counts.</p>",
        chart("network", network, "No asserted events with both actors."),
        "<h2>Dyads by QuadClass</h2>",
        chart("heatmap", heatmap, "No asserted events with both actors."),
        "<h2>Top events</h2>",
        '<p class="note legend">Asserted events ranked by mentions across articles; the evidence sentence with '
        '<mark class="trigger">the trigger</mark> and <mark class="actor">the actors</mark> highlighted.</p>',
        _top_events(con, events, names, top_events),
        "<h2>Entities</h2><p class='note'>Mentions and every spelling seen"
        + (" (in the articles of the events in scope)." if filtered else ".") + "</p>",
        _entities_table(con, article_ids, top_entities),
        "<h2>Runs</h2>", _runs_section(con),
    ]
    specs_json = json.dumps(specs, ensure_ascii=False, default=str).replace("</", "<\\/")
    bundle = vega_bundle().replace("</script", "<\\/script")
    parts += [f'<script type="application/json" id="khabar-specs">{specs_json}</script>',
              f'<script type="module">{bundle}</script>',
              f'<script type="module">{EMBED_JS}</script>',
              "</body></html>"]
    return "\n".join(parts)


REPORT_NAME = "report.html"


def write_report_file(warehouse: Path) -> tuple[Path, bytes | None]:
    """Write the whole warehouse's report to WAREHOUSE/report.html (atomically) and return its path and a small
    timeline PNG (None when no event has a date).

    Reads the published catalog: a load running meanwhile is neither blocked nor seen."""
    from warehouse import connect_readonly, write_atomic

    con = connect_readonly(warehouse)
    try:
        page = build_report(con)
        png = timeline_png(con)
    finally:
        con.close()
    path = write_atomic(Path(warehouse) / REPORT_NAME, page)  # readers see the old report or the new one
    return path, png
