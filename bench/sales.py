"""`python -m bench.sales`: every sales report over 1,000,000 deals on PostgreSQL, timed through
the functions the GraphQL fields call, with each statement's plan (see bench/README.md)."""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import statistics
import sys
import time
import uuid
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from app.db import create_engine
from app.migrations import upgrade_to_head
from bench import cpu, sales_db
from bench.dataset import postgres_reachable
from kernel.principal import Principal, PrincipalKind
from resolvers.deals.reports.buckets import Period
from resolvers.deals.reports.forecast import ForecastGroup, sales_forecast
from resolvers.deals.reports.funnel import sales_funnel
from resolvers.deals.reports.scope import ReportFilter, Scope
from resolvers.deals.reports.win_loss import pipeline_velocity, win_loss

RESULTS = Path(__file__).resolve().parent / "results" / "sales.json"
TARGET_SECONDS = 1.0
QUIET_CORES, QUIET_WAIT_SECONDS = 0.25, 15.0
ADMIN = Principal(subject="bench", kind=PrincipalKind.OPERATOR, role="admin")
# The generator's ids: md5 of kind-n (bench/sales_data.py).
REP = Principal(
    subject="rep0",
    kind=PrincipalKind.USER,
    role="sales_rep",
    user_id=uuid.UUID(hashlib.md5(b"user-0").hexdigest()),
)
PIPELINE_0 = uuid.UUID(hashlib.md5(b"pipeline-0").hexdigest())
Q3 = ReportFilter(start=date(2026, 7, 1), end=date(2026, 9, 30))
YEAR = ReportFilter(start=date(2026, 1, 1), end=date(2026, 12, 31))
AS_OF = date(2026, 10, 15)
NOW = datetime(2026, 10, 15, 12, tzinfo=UTC)

Report = Callable[[AsyncSession], Awaitable[Any]]


def _scope(filter_: ReportFilter, principal: Principal = ADMIN) -> Scope:
    return Scope.of(filter_, principal, "EUR", AS_OF, NOW)


def _with_pipeline(filter_: ReportFilter) -> ReportFilter:
    return ReportFilter(pipeline_id=PIPELINE_0, start=filter_.start, end=filter_.end)


REPORTS: list[tuple[str, Report]] = [
    ("funnel, pipeline 0, Q3", lambda s: sales_funnel(s, _scope(_with_pipeline(Q3)))),
    (
        "funnel, pipeline 0, all time",
        lambda s: sales_funnel(s, _scope(_with_pipeline(ReportFilter()))),
    ),
    (
        "forecast, 2026 by quarter and owner",
        lambda s: sales_forecast(s, _scope(YEAR), Period.QUARTER, ForecastGroup.OWNER),
    ),
    (
        "forecast, all time by month and team",
        lambda s: sales_forecast(s, _scope(ReportFilter()), Period.MONTH, ForecastGroup.TEAM),
    ),
    ("win/loss, Q3", lambda s: win_loss(s, _scope(Q3))),
    ("win/loss, all time", lambda s: win_loss(s, _scope(ReportFilter()))),
    ("velocity, Q3", lambda s: pipeline_velocity(s, _scope(Q3))),
    ("funnel, Q3, as a sales rep", lambda s: sales_funnel(s, _scope(_with_pipeline(Q3), REP))),
    (
        "forecast, 2026, as a sales rep",
        lambda s: sales_forecast(s, _scope(YEAR, REP), Period.QUARTER, ForecastGroup.OWNER),
    ),
    ("win/loss, Q3, as a sales rep", lambda s: win_loss(s, _scope(Q3, REP))),
]


@dataclass
class Captured:
    statements: list[tuple[str, Any]]

    def __call__(self, conn: Any, cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        self.statements.append((statement, parameters))


@contextmanager
def capture(engine: AsyncEngine) -> Iterator[Captured]:
    captured = Captured([])
    event.listen(engine.sync_engine, "before_cursor_execute", captured)
    try:
        yield captured
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", captured)


async def _time(engine: AsyncEngine, report: Report, runs: int) -> list[float]:
    seconds = []
    for _ in range(runs + 1):  # the first run warms the caches and is not counted
        started = time.perf_counter()
        async with AsyncSession(engine) as session:
            await report(session)
        seconds.append(time.perf_counter() - started)
    return seconds[1:]


def _nodes(plan: dict[str, Any]) -> Iterator[dict[str, Any]]:
    yield plan
    for child in plan.get("Plans", []):
        yield from _nodes(child)


def summarize(plan: dict[str, Any]) -> dict[str, Any]:
    """Execution time, the scans (table and index) and any sort spilling to disk."""
    scans, spills = [], []
    for node in _nodes(plan["Plan"]):
        kind = node["Node Type"]
        if "Relation Name" in node or "Index Name" in node:
            scans.append(
                f"{kind} {node.get('Index Name') or node['Relation Name']}"
                f" ({node.get('Actual Rows', 0) * node.get('Actual Loops', 1)} rows)"
            )
        if node.get("Sort Space Type") == "Disk":
            spills.append(f"{kind} {node.get('Sort Space Used')} kB")
    return {"ms": round(plan["Execution Time"], 1), "scans": scans, "disk_sorts": spills}


async def _explain(engine: AsyncEngine, report: Report) -> list[dict[str, Any]]:
    with capture(engine) as captured:
        async with AsyncSession(engine) as session:
            await report(session)
    plans = []
    async with engine.connect() as connection:
        for statement, parameters in captured.statements:
            if statement.startswith("SET "):  # the report's own settings, for the plans too
                await connection.exec_driver_sql(statement, parameters)
                continue
            result = await connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + statement, parameters
            )
            document = result.scalar_one()
            plan = (json.loads(document) if isinstance(document, str) else document)[0]
            plans.append(summarize(plan))
    return plans


async def bench_reports(runs: int) -> list[dict[str, Any]]:
    engine = create_engine(sales_db.PG_URL, pool_size=2)
    rows = []
    try:
        for name, report in REPORTS:
            # Other sessions share the 2 cores: wait a little for them, and record how busy.
            background = cpu.wait_until_quiet(QUIET_CORES, QUIET_WAIT_SECONDS)
            seconds = await _time(engine, report, runs)
            plans = await _explain(engine, report)
            median = statistics.median(seconds)
            rows.append(
                {
                    "report": name,
                    "median_s": round(median, 3),
                    "min_s": round(min(seconds), 3),
                    "max_s": round(max(seconds), 3),
                    "background_cores": background,
                    "load_average": os.getloadavg()[0],
                    "statements": plans,
                }
            )
            flag = "" if median < TARGET_SECONDS else "  (over target)"
            print(f"{name}: median {median:.3f} s{flag}", file=sys.stderr)
    finally:
        await engine.dispose()
    return rows


def _print(rows: list[dict[str, Any]]) -> None:
    print("| report | median s | min s | max s | busy cores before | statements (ms each) |")
    print("| --- | ---: | ---: | ---: | ---: | --- |")
    for row in rows:
        each = ", ".join(str(plan["ms"]) for plan in row["statements"])
        print(
            f"| {row['report']} | {row['median_s']:.3f} | {row['min_s']:.3f} | "
            f"{row['max_s']:.3f} | {row['background_cores']} | {each} |"
        )
    for row in rows:
        print(f"\n{row['report']}:")
        for plan in row["statements"]:
            print(f"  {plan['ms']} ms: {'; '.join(plan['scans'])}")
            if plan["disk_sorts"]:
                print(f"    sorts on disk: {plan['disk_sorts']}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.sales", description=__doc__)
    parser.add_argument("--deals", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per report")
    parser.add_argument("--keep-database", action="store_true")
    parser.add_argument("--reuse-database", action="store_true", help="skip generating")
    args = parser.parse_args(argv)
    if not asyncio.run(postgres_reachable()):
        raise SystemExit("PostgreSQL not reachable at 127.0.0.1:5432; the sales bench needs it")
    fill: dict[str, float] = {}
    if not args.reuse_database:
        print(f"generating {args.deals:,} deals ...", file=sys.stderr)
        asyncio.run(sales_db.recreate())
        upgrade_to_head(sales_db.PG_URL)
        fill = asyncio.run(sales_db.fill(args.deals))
    try:
        rows = asyncio.run(bench_reports(args.runs))
    finally:
        if not args.keep_database:
            asyncio.run(sales_db.drop())
    _print(rows)
    RESULTS.parent.mkdir(exist_ok=True)
    document = {"deals": args.deals, "runs": args.runs, "generation_s": fill, "reports": rows}
    RESULTS.write_text(json.dumps(document, indent=2))


if __name__ == "__main__":
    main()
