"""A deal's attribution: the campaigns that touched its people first and last before it."""

from __future__ import annotations

import weakref
from typing import Any

import strawberry
from aiodataloader import DataLoader

from kernel.loaders import Loaders
from resolvers.campaigns.attribution import Attribution, attributions_by_deal_ids
from schema.connections import lazy, load_node, resolve_node
from schema.context import Info

# Campaigns list their deals: the campaign side is resolved lazily.
CampaignT = lazy("Campaign", "schema.campaigns.types")

_ATTRIBUTIONS: weakref.WeakKeyDictionary[Loaders, DataLoader[Any, Attribution]] = (
    weakref.WeakKeyDictionary()
)


def attribution_loader(info: Info) -> DataLoader[Any, Attribution]:
    """The request's `AttributionByDealIdLoader`: all deals of a level in one query."""
    loaders = info.context.loaders
    loader = _ATTRIBUTIONS.get(loaders)
    if loader is None:
        factory = info.context.session_factory

        async def batch(keys: list[Any]) -> list[Attribution]:
            async with factory() as session:
                return await attributions_by_deal_ids(session, keys)

        loader = _ATTRIBUTIONS[loaders] = DataLoader(batch)
    return loader


@strawberry.type(description="The campaigns that touched a deal's people before it was created.")
class DealAttribution:
    attribution: strawberry.Private[Attribution]

    @strawberry.field(description="The campaign of the earliest touch.")
    async def first_touch(self, info: Info) -> CampaignT | None:
        return await load_node(info, resolve_node(CampaignT), self.attribution.first_touch)

    @strawberry.field(description="The campaign of the latest touch.")
    async def last_touch(self, info: Info) -> CampaignT | None:
        return await load_node(info, resolve_node(CampaignT), self.attribution.last_touch)


async def deal_attribution(info: Info, deal_id: Any) -> DealAttribution:
    return DealAttribution(attribution=await attribution_loader(info).load(deal_id))
