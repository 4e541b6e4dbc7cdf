"""The GraphQL schema: strawberry types over the services in `resolvers/`."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from schema.bulk.types import BulkMutation
from schema.campaigns.automation_mutations import AutomationMutation
from schema.campaigns.mutations import CampaignMutation, MarketingMutation
from schema.customers.mutations import CustomerMutation
from schema.deals.mutations import DealMutation
from schema.deals.sales_mutations import SalesMutation
from schema.identity.clients import ApiClientMutation
from schema.integrations.types import IntegrationMutation
from schema.privacy.types import PrivacyMutation
from schema.query import NODE_TYPES, Query
from schema.tickets.knowledge_mutations import KnowledgeMutation
from schema.tickets.mutations import TicketMutation
from schema.tickets.sla_mutations import ServiceDeskMutation
from schema.webhooks.mutations import WebhookMutation


@strawberry.type
class Mutation(
    CustomerMutation,
    DealMutation,
    CampaignMutation,
    TicketMutation,
    SalesMutation,
    MarketingMutation,
    ServiceDeskMutation,
    ApiClientMutation,
    PrivacyMutation,
    WebhookMutation,
    IntegrationMutation,
    AutomationMutation,
    KnowledgeMutation,
    BulkMutation,
):
    """Every mutation; `type Mutation` lists the fields of the domains in this order."""


class CRMSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged by the HTTP layer, unexpected ones only and with an error id."""


schema = CRMSchema(
    query=Query,
    mutation=Mutation,
    types=[node for node, _ in NODE_TYPES.values()],
    config=StrawberryConfig(auto_camel_case=True),
    extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
)
