-- Actor pairs (by actor code, as GDELT users aggregate them) with event counts per QuadClass, mean Goldstein and
-- the first and last event date. Only asserted events count: negated, conditional, alleged, possible, intended
-- and future ones stay in `events` but are left out; events lacking either actor are not dyads.
SELECT
    e.actor1_code,
    e.actor2_code,
    count(*)                                        AS num_events,
    count(DISTINCT e.event_key)                     AS num_distinct_events,
    count(*) FILTER (WHERE e.quad_class = 1)        AS verbal_coop,
    count(*) FILTER (WHERE e.quad_class = 2)        AS material_coop,
    count(*) FILTER (WHERE e.quad_class = 3)        AS verbal_conflict,
    count(*) FILTER (WHERE e.quad_class = 4)        AS material_conflict,
    avg(e.goldstein_scale)                          AS mean_goldstein,
    min(e.event_date)                               AS first_date,
    max(e.event_date)                               AS last_date
FROM events e
WHERE NOT coalesce(e.is_negated, false)
  AND coalesce(e.modality, 'asserted') = 'asserted'
  AND e.actor1_code IS NOT NULL
  AND e.actor2_code IS NOT NULL
GROUP BY e.actor1_code, e.actor2_code
