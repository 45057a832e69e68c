-- One row per event_key (same actors, code and date across articles): how often and where it was reported.
-- Only asserted events count: negated ("did not sign"), conditional ("if … then"), alleged, possible, intended and
-- future events are kept in `events` as evidence, not occurrences (filter on events.modality to see them).
-- num_sources counts distinct outlets: the record's source_name, else the domain of source_url, else the file.
SELECT
    e.event_key,
    any_value(e.actor1_entity_id)                    AS actor1_entity_id,
    any_value(e.actor1_code)                         AS actor1_code,
    any_value(e.actor2_entity_id)                    AS actor2_entity_id,
    any_value(e.actor2_code)                         AS actor2_code,
    any_value(e.event_code)                          AS event_code,
    any_value(e.event_root_code)                     AS event_root_code,
    any_value(e.quad_class)                          AS quad_class,
    any_value(e.goldstein_scale)                     AS goldstein_scale,
    any_value(e.plover_type)                         AS plover_type,
    count(*)                                         AS num_mentions,
    count(DISTINCT e.article_id)                     AS num_articles,
    count(DISTINCT coalesce(nullif(a.source_name, ''),
                            nullif(regexp_extract(lower(a.source_url), '^[a-z]+://(www\.)?([^/:]+)', 2), ''),
                            a.source_path))          AS num_sources,
    min(e.event_date)                                AS first_date,
    max(e.event_date)                                AS last_date,
    min(a.published_at)                              AS first_reported,
    max(a.published_at)                              AS last_reported,
    list(DISTINCT e.event_code ORDER BY e.event_code) AS codes,
    avg(e.confidence)                                AS mean_confidence
FROM events e
LEFT JOIN articles a USING (article_id)
WHERE NOT coalesce(e.is_negated, false)
  AND coalesce(e.modality, 'asserted') = 'asserted'
GROUP BY e.event_key
