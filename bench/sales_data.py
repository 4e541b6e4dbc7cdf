"""1,000,000 deals and their stage history for the sales-report benchmark, generated in SQL.

Everything is `INSERT ... SELECT FROM generate_series`, with ids derived from md5 so the rows can
refer to each other without a round trip. The shape: 5 teams of 10 reps, 3 pipelines of 5
stages (Lead, Proposal, Negotiation, Won, Lost), 20,000 customers, deals created from January
2025 to August 2026 in EUR, USD, GBP, CHF and SEK (daily rates for the last four). 40% of deals
are open, 25% won and 35% lost (six in seven of them with a reason); each went from Lead
as far as Lead, Proposal or Negotiation, and if closed then to Won or Lost: 1 to 4 stage
changes, 2.6 on average.
"""

from __future__ import annotations

# `uid('x', n)`: a stable uuid for the n-th row of kind x.
UID = "CREATE OR REPLACE FUNCTION pg_temp.uid(kind text, n bigint) RETURNS uuid "
UID += "LANGUAGE sql IMMUTABLE AS $$ SELECT md5(kind || '-' || n)::uuid $$"

STAGES = [
    # position, name, probability, kind, forecast category
    (0, "Lead", 10, "open", "pipeline"),
    (1, "Proposal", 40, "open", "best_case"),
    (2, "Negotiation", 75, "open", "commit"),
    (3, "Won", 100, "won", "closed"),
    (4, "Lost", 0, "lost", "omitted"),
]
STAGE_VALUES = ", ".join(f"({p}, '{n}', {pr}, '{k}', '{c}')" for p, n, pr, k, c in STAGES)

# One row per deal: its pipeline, how far it went, whether and how it closed. h is a hash of g.
# Outcomes: 0-39 open, 40-64 won, 65-99 lost.
DEALS = """
  SELECT g, p, depth, o >= 40 AS closed, CASE WHEN o < 65 THEN 3 ELSE 4 END AS final, h,
         timestamptz '2025-01-01' + (h / 6000 % 600) * interval '1 day'
           + (h % 86400) * interval '1 second' AS created,
         (5 + h / 300 % 20) * interval '1 day' AS step,
         round((500 + (g * 7919) % 99500)::numeric, 2) AS amount,
         (ARRAY['EUR', 'EUR', 'USD', 'GBP', 'CHF', 'SEK'])[1 + h / 7 % 6] AS currency
  FROM (
    SELECT g, g % 3 AS p, h % 100 AS o, h / 100 % 3 AS depth, h
    FROM (SELECT g, hashtext(g::text)::bigint & 2147483647 AS h
          FROM generate_series(0::bigint, :deals - 1) g) AS hashed
  ) AS drawn
"""

STATEMENTS = [
    UID,
    """INSERT INTO teams (id, name, created_at, updated_at, version)
       SELECT pg_temp.uid('team', t), 'Team ' || t, now(), now(), 1
       FROM generate_series(0, 4) t""",
    """INSERT INTO users (id, email, name, role, team_id, active, created_at, updated_at, version)
       SELECT pg_temp.uid('user', u), 'rep' || u || '@bench.test', 'Rep ' || u, 'sales_rep',
              pg_temp.uid('team', u % 5), true, now(), now(), 1
       FROM generate_series(0, 49) u""",
    """INSERT INTO pipelines (id, name, is_default, created_at, updated_at, version)
       SELECT pg_temp.uid('pipeline', p), 'Pipeline ' || p, p = 0, now(), now(), 1
       FROM generate_series(0, 2) p""",
    f"""INSERT INTO stages (id, pipeline_id, name, position, probability, kind, forecast_category,
                            created_at, updated_at, version)
       SELECT pg_temp.uid('stage', p * 10 + s.position), pg_temp.uid('pipeline', p), s.name,
              s.position, s.probability, s.kind, s.category, now(), now(), 1
       FROM generate_series(0, 2) p
       CROSS JOIN (VALUES {STAGE_VALUES}) AS s (position, name, probability, kind, category)""",
    """INSERT INTO lost_reasons (id, name, position, active, created_at, updated_at, version)
       SELECT pg_temp.uid('reason', r), 'Reason ' || r, r, true, now(), now(), 1
       FROM generate_series(0, 4) r""",
    """INSERT INTO exchange_rates (id, currency, to_currency, rate_date, rate, created_at,
                                   updated_at, version)
       SELECT gen_random_uuid(), c.code, 'EUR', d::date,
              c.base * (1 + 0.05 * sin(extract(epoch FROM d) / 5e6)), now(), now(), 1
       FROM (VALUES ('USD', 0.92), ('GBP', 1.17), ('CHF', 1.04), ('SEK', 0.088)) AS c (code, base)
       CROSS JOIN generate_series(
         timestamp '2025-01-01', timestamp '2026-12-31', interval '1 day'
       ) AS d
    """,
    """INSERT INTO customers (id, name, lifecycle_stage, owner_id, tags, created_at, updated_at,
                              version)
       SELECT pg_temp.uid('customer', c), 'Customer ' || c, 'customer', pg_temp.uid('user', c % 50),
              '[]', now(), now(), 1
       FROM generate_series(0, 19999) c""",
    f"""INSERT INTO deals (id, name, customer_id, pipeline_id, stage_id, owner_id, amount,
                           currency, expected_close_date, closed_at, lost_reason_id, created_at,
                           updated_at, version)
       SELECT pg_temp.uid('deal', g), 'Deal ' || g, pg_temp.uid('customer', g % 20000),
              pg_temp.uid('pipeline', p),
              pg_temp.uid('stage', p * 10 + CASE WHEN closed THEN final ELSE depth END),
              pg_temp.uid('user', g % 50), amount, currency,
              CASE WHEN NOT closed THEN (created + interval '60 days')::date END,
              CASE WHEN closed THEN created + (depth + 1) * step END,
              CASE WHEN final = 4 AND h % 7 <> 0 THEN pg_temp.uid('reason', h % 5) END,
              created, created, 1
       FROM ({DEALS}) AS d""",
    # The derived columns as `derive_stage_history` sets them: each deal enters each stage once;
    # it leaves change k at change k + 1; from change k on, it reaches Won (3) if it was won,
    # else its deepest open stage, and nothing non-lost from its Lost change.
    f"""INSERT INTO deal_stage_changes (id, deal_id, from_stage_id, to_stage_id, changed_at,
                                        amount, currency, created_at, updated_at, version,
                                        left_at, entry, reached_position)
       SELECT gen_random_uuid(), pg_temp.uid('deal', g),
              CASE WHEN k > 0 THEN pg_temp.uid('stage', p * 10 + k - 1) END,
              pg_temp.uid('stage', p * 10 + CASE WHEN k > depth THEN final ELSE k END),
              created + k * step, amount, currency, created + k * step, created + k * step, 1,
              CASE WHEN k < last THEN created + (k + 1) * step END, 1,
              CASE WHEN closed AND final = 3 THEN 3 WHEN k <= depth THEN depth END
       FROM (SELECT *, depth + CASE WHEN closed THEN 1 ELSE 0 END AS last FROM ({DEALS}) AS r) AS d
       CROSS JOIN LATERAL generate_series(0, last) k""",
]
