"""Sales reports as queries: funnel, forecast, win/loss and pipeline velocity (deals:read).

Every figure is computed in SQL over the deals the viewer may see; money is converted to the
reporting currency (setting `REPORTING_CURRENCY`) with each currency's latest rate on or before
`asOf`. Deals in a currency without such a rate still count in the counts but are left out of
every money figure; their currencies are listed in `missingRates`.
"""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from typing import Annotated, Any

import strawberry

from kernel.errors import InvalidArgumentError
from resolvers.deals.reports.buckets import Period
from resolvers.deals.reports.forecast import Forecast, ForecastGroup, sales_forecast
from resolvers.deals.reports.funnel import Funnel, sales_funnel
from resolvers.deals.reports.scope import ReportFilter, Scope
from resolvers.deals.reports.win_loss import Totals, Velocity, pipeline_velocity, win_loss
from schema.connections import to_one
from schema.context import Info
from schema.deals.types import Pipeline, Stage, StageKind
from schema.errors import bad_input
from schema.ids import decode_id_of, encode_id
from schema.permissions import can_read

ReportPeriod = strawberry.enum(Period, name="ReportPeriod", description="A forecast's periods.")
ForecastGroupBy = strawberry.enum(
    ForecastGroup, name="ForecastGroupBy", description="What a forecast's rows are per."
)
MISSING_RATES = (
    "Currencies of deals counted here that have no rate into the reporting currency on or "
    "before `asOf`: those deals are left out of every money figure."
)
AS_OF = (
    "Rates are each currency's latest on or before this day; stays still open are measured "
    "up to the end of it (or now, if earlier). Default: today (UTC)."
)


@strawberry.input(description="Which deals a report covers (all given conditions hold).")
class SalesReportFilter:
    pipeline_id: strawberry.ID | None = None
    owner_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Deals owned by one of these users."
    )
    team_ids: list[strawberry.ID] | None = strawberry.field(
        default=None, description="Deals owned by a member of one of these teams."
    )
    from_: date | None = strawberry.field(
        name="from", default=None, description="First day of the period (UTC), inclusive."
    )
    to: date | None = strawberry.field(
        default=None, description="Last day of the period (UTC), inclusive."
    )


@strawberry.type(description="One stage of the funnel.")
class SalesFunnelStage:
    name: str
    position: int
    kind: StageKind
    retired: bool
    entered: int = strawberry.field(
        description="Deals that moved into this stage (or were created in it) in the period."
    )
    still_there: int = strawberry.field(description="Of those, the deals in this stage now.")
    moved_on: int = strawberry.field(description="Of those, the deals in another stage now.")
    converted: int = strawberry.field(
        description="Of those, the deals that after entering reached a stage of this pipeline "
        "with a higher position that is not a lost stage (whatever happened since)."
    )
    conversion_rate: float | None = strawberry.field(
        description="`converted / entered`, from 0 to 1; null when none entered."
    )
    average_days_in_stage: float | None = strawberry.field(
        description="Mean days from each entry in the period to the deal's next stage change "
        "(or to `asOf` for deals still there), to 0.01 day."
    )
    value: Decimal = strawberry.field(
        description="Converted amount of the `stillThere` deals, in the reporting currency."
    )
    stage_id: strawberry.Private[uuid.UUID]

    stage = to_one(Stage, "stage_id", "stage", "The stage.")


@strawberry.type(description="Per stage of a pipeline, in position order.")
class SalesFunnel:
    currency: str = strawberry.field(description="The reporting currency.")
    as_of: date
    stages: list[SalesFunnelStage]
    missing_rates: list[str] = strawberry.field(description=MISSING_RATES)
    pipeline_id: strawberry.Private[uuid.UUID | None]

    pipeline = to_one(Pipeline, "pipeline_id", "pipeline", "The pipeline reported on.")


@strawberry.type(description="Amounts of one period and group, in the reporting currency.")
class SalesForecastRow:
    period: str = strawberry.field(description='"2026-11" or "2026-Q4" (UTC).')
    group_id: strawberry.ID | None = strawberry.field(
        description="The owner (User), team or pipeline; null for deals without one."
    )
    group_name: str | None
    closed_won: Decimal = strawberry.field(description="Won deals, by the day they closed.")
    commit: Decimal = strawberry.field(
        description="Open deals in a `commit` stage, by expected close date."
    )
    best_case: Decimal = strawberry.field(
        description="Open deals in a `best_case` stage (commit not included)."
    )
    pipeline: Decimal = strawberry.field(description="Open deals in a `pipeline` stage.")
    weighted: Decimal = strawberry.field(
        description="Open deals (omitted excluded): amount x stage probability / 100."
    )


@strawberry.type(
    description="Won deals bucketed by `closedAt`, open ones by `expectedCloseDate` (open deals "
    "without one, and those in `omitted` stages, are not forecast). The filter's days apply to "
    "those same dates."
)
class SalesForecast:
    period: ReportPeriod
    group_by: ForecastGroupBy
    currency: str
    as_of: date
    rows: list[SalesForecastRow] = strawberry.field(description="By period, then group name.")
    missing_rates: list[str] = strawberry.field(description=MISSING_RATES)


@strawberry.type(description="Lost deals with one reason.")
class LostReasonCount:
    reason_id: strawberry.ID | None = strawberry.field(description="Null: lost without a reason.")
    name: str | None
    count: int
    value: Decimal


@strawberry.type(description="Deals closed (won or lost) in the period, by `closedAt`.")
class WinLoss:
    currency: str
    as_of: date
    won_count: int
    lost_count: int
    win_rate: float | None = strawberry.field(description="won / (won + lost), from 0 to 1.")
    won_value: Decimal
    lost_value: Decimal
    average_sales_cycle_days: float | None = strawberry.field(
        description="Mean days from creation to close of the won deals."
    )
    lost_reasons: list[LostReasonCount] = strawberry.field(
        description="Most frequent first, then by value."
    )
    missing_rates: list[str] = strawberry.field(description=MISSING_RATES)


@strawberry.type(
    description="(open deals x win rate x average won value) / average sales cycle days: the "
    "value the pipeline is expected to close per day. Open deals are those open now; the other "
    "factors come from the deals closed in the period."
)
class PipelineVelocity:
    currency: str
    as_of: date
    open_deals: int
    win_rate: float | None
    average_won_value: Decimal | None = strawberry.field(
        description="Won value over the won deals that could be converted."
    )
    average_sales_cycle_days: float | None
    value_per_day: Decimal | None = strawberry.field(description="Null when a factor is.")
    missing_rates: list[str] = strawberry.field(description=MISSING_RATES)


def _ids(values: list[strawberry.ID] | None, type_name: str, argument: str) -> list[uuid.UUID]:
    return [decode_id_of(value, type_name, argument) for value in values or []]


def _scope(info: Info, filter_: SalesReportFilter | None, as_of: date | None) -> Scope:
    f = filter_ or SalesReportFilter()
    try:
        pipeline = None
        if f.pipeline_id is not None:
            pipeline = decode_id_of(f.pipeline_id, "Pipeline", "filter")
        owners = _ids(f.owner_ids, "User", "filter") if f.owner_ids is not None else None
        teams = _ids(f.team_ids, "Team", "filter") if f.team_ids is not None else None
        if f.from_ is not None and f.to is not None and f.from_ > f.to:
            raise InvalidArgumentError("`from` is after `to`", "filter")
    except InvalidArgumentError as exc:
        raise bad_input(exc) from exc
    report_filter = ReportFilter(pipeline, owners, teams, f.from_, f.to)
    currency = info.context.reporting_currency
    return Scope.of(report_filter, info.context.principal, currency, as_of)


def _funnel(funnel: Funnel) -> SalesFunnel:
    stages = [
        SalesFunnelStage(
            name=s.name,
            position=s.position,
            kind=StageKind(s.kind),
            retired=s.retired,
            entered=s.entered,
            still_there=s.still_there,
            moved_on=s.moved_on,
            converted=s.converted,
            conversion_rate=s.conversion_rate,
            average_days_in_stage=s.average_days,
            value=s.value,
            stage_id=s.stage_id,
        )
        for s in funnel.stages
    ]
    return SalesFunnel(
        currency=funnel.currency,
        as_of=funnel.as_of,
        stages=stages,
        missing_rates=funnel.missing_rates,
        pipeline_id=funnel.pipeline_id,
    )


GROUP_TYPES = {
    ForecastGroup.OWNER: "User",
    ForecastGroup.TEAM: "Team",
    ForecastGroup.PIPELINE: "Pipeline",
}


def _forecast(forecast: Forecast) -> SalesForecast:
    type_name = GROUP_TYPES[forecast.group_by]
    rows = [
        SalesForecastRow(
            period=row.period,
            group_id=None
            if row.group_id is None
            else strawberry.ID(encode_id(type_name, row.group_id)),
            group_name=row.group_name,
            closed_won=row.closed_won,
            commit=row.commit,
            best_case=row.best_case,
            pipeline=row.pipeline,
            weighted=row.weighted,
        )
        for row in forecast.rows
    ]
    return SalesForecast(
        period=forecast.period,
        group_by=forecast.group_by,
        currency=forecast.currency,
        as_of=forecast.as_of,
        rows=rows,
        missing_rates=forecast.missing_rates,
    )


def _win_loss(currency: str, as_of: date, totals: Totals, reasons: list[Any]) -> WinLoss:
    return WinLoss(
        currency=currency,
        as_of=as_of,
        won_count=totals.won_count,
        lost_count=totals.lost_count,
        win_rate=totals.win_rate,
        won_value=totals.won_value,
        lost_value=totals.lost_value,
        average_sales_cycle_days=totals.average_cycle_days,
        lost_reasons=[
            LostReasonCount(
                reason_id=None
                if r.reason_id is None
                else strawberry.ID(encode_id("LostReason", r.reason_id)),
                name=r.name,
                count=r.count,
                value=r.value,
            )
            for r in reasons
        ],
        missing_rates=totals.missing_rates,
    )


def _velocity(velocity: Velocity) -> PipelineVelocity:
    totals = velocity.totals
    return PipelineVelocity(
        currency=velocity.currency,
        as_of=velocity.as_of,
        open_deals=velocity.open_deals,
        win_rate=totals.win_rate,
        average_won_value=totals.average_won_value,
        average_sales_cycle_days=totals.average_cycle_days,
        value_per_day=velocity.per_day,
        missing_rates=totals.missing_rates,
    )


AsOf = Annotated[date | None, strawberry.argument(description=AS_OF)]
Filter = Annotated[SalesReportFilter | None, strawberry.argument(description="Default: all.")]


async def resolve_funnel(info: Info, filter: Filter = None, as_of: AsOf = None) -> SalesFunnel:
    scope = _scope(info, filter, as_of)
    async with info.context.session_factory() as session:
        return _funnel(await sales_funnel(session, scope))


async def resolve_forecast(
    info: Info,
    period: ReportPeriod,
    group_by: ForecastGroupBy,
    filter: Filter = None,
    as_of: AsOf = None,
) -> SalesForecast:
    scope = _scope(info, filter, as_of)
    async with info.context.session_factory() as session:
        return _forecast(await sales_forecast(session, scope, period, group_by))


async def resolve_win_loss(info: Info, filter: Filter = None, as_of: AsOf = None) -> WinLoss:
    scope = _scope(info, filter, as_of)
    async with info.context.session_factory() as session:
        result = await win_loss(session, scope)
    return _win_loss(result.currency, result.as_of, result.totals, result.lost_reasons)


async def resolve_velocity(
    info: Info, filter: Filter = None, as_of: AsOf = None
) -> PipelineVelocity:
    scope = _scope(info, filter, as_of)
    async with info.context.session_factory() as session:
        return _velocity(await pipeline_velocity(session, scope))


SALES_FUNNEL = strawberry.field(
    resolver=resolve_funnel,
    description="The funnel of `filter.pipelineId` (default: the default pipeline): per stage, "
    "the deals that entered it in the period and what became of them.",
    permission_classes=can_read("deal"),
)
SALES_FORECAST = strawberry.field(
    resolver=resolve_forecast,
    description="Closed won, commit, best case, pipeline and weighted amounts per period and "
    "group.",
    permission_classes=can_read("deal"),
)
WIN_LOSS = strawberry.field(
    resolver=resolve_win_loss,
    description="Win rate, won and lost counts and values, lost reasons and sales cycle of the "
    "deals closed in the period.",
    permission_classes=can_read("deal"),
)
PIPELINE_VELOCITY = strawberry.field(
    resolver=resolve_velocity,
    description="How much value the pipeline closes per day, with each factor.",
    permission_classes=can_read("deal"),
)
