"""The GraphQL schema: strawberry types over the services in `resolvers/`."""

from __future__ import annotations

from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import ParserCache, ValidationCache
from strawberry.schema.config import StrawberryConfig

from resolvers.campaigns.service import CAMPAIGN_MEMBER_RULES, CAMPAIGN_RULES
from resolvers.customers.interactions import INTERACTION_RULES
from resolvers.customers.purchases import PURCHASE_RULES
from resolvers.customers.service import CONTACT_RULES, CUSTOMER_RULES
from resolvers.deals.service import DEAL_RULES
from resolvers.tickets.service import TICKET_COMMENT_RULES, TICKET_RULES
from schema import inputs
from schema.bulk.types import BulkMutation
from schema.campaigns.automation_mutations import AutomationMutation
from schema.campaigns.mutations import MarketingMutation, marketing_mutations
from schema.campaigns.types import Campaign, CampaignMember
from schema.customers.interactions import Interaction
from schema.customers.purchases import Purchase
from schema.customers.types import Contact, Customer
from schema.deals.mutations import SalesMutation, sales_mutations
from schema.deals.types import Deal
from schema.identity.clients import API_CLIENT_MUTATIONS
from schema.integrations.types import IntegrationMutation
from schema.mutations import entity_mutations
from schema.privacy.types import PRIVACY_MUTATIONS
from schema.query import NODE_TYPES, Query
from schema.tickets.knowledge_mutations import KnowledgeMutation, knowledge_mutations
from schema.tickets.sla_mutations import service_desk_mutations
from schema.tickets.types import Ticket, TicketComment
from schema.webhooks.mutations import WebhookMutation


def _mutation_type() -> type:
    fields: dict[str, object] = {}
    for rules, node, create, update, upsert in (
        (CUSTOMER_RULES, Customer, inputs.CreateCustomerInput, "UpdateCustomerInput", True),
        (CONTACT_RULES, Contact, inputs.CreateContactInput, "UpdateContactInput", True),
        (
            INTERACTION_RULES,
            Interaction,
            inputs.CreateInteractionInput,
            "UpdateInteractionInput",
            False,
        ),
        (PURCHASE_RULES, Purchase, inputs.CreatePurchaseInput, "UpdatePurchaseInput", True),
        (DEAL_RULES, Deal, inputs.CreateDealInput, "UpdateDealInput", True),
        (CAMPAIGN_RULES, Campaign, inputs.CreateCampaignInput, "UpdateCampaignInput", False),
        (
            CAMPAIGN_MEMBER_RULES,
            CampaignMember,
            inputs.CreateCampaignMemberInput,
            inputs.UpdateCampaignMemberInput,
            False,
        ),
        (TICKET_RULES, Ticket, inputs.CreateTicketInput, "UpdateTicketInput", True),
        (
            TICKET_COMMENT_RULES,
            TicketComment,
            inputs.CreateTicketCommentInput,
            inputs.UpdateTicketCommentInput,
            False,
        ),
    ):
        if isinstance(update, str):
            update = inputs.update_input(create, update, f"Changes to a {node.type_name()}.")
        fields.update(entity_mutations(rules, node, create, update, upsert))
    fields.update(sales_mutations(fields["update_deal"]))
    fields.update(_fields_of(SalesMutation))
    fields.update(marketing_mutations(fields["update_campaign_member"]))
    fields.update(_fields_of(MarketingMutation))
    fields.update(service_desk_mutations(fields["update_ticket"]))
    fields.update(API_CLIENT_MUTATIONS)
    fields.update(PRIVACY_MUTATIONS)
    fields.update(_fields_of(WebhookMutation))
    fields.update(_fields_of(IntegrationMutation))
    fields.update(_fields_of(AutomationMutation))
    fields.update(knowledge_mutations())
    fields.update(_fields_of(KnowledgeMutation))
    fields.update(_fields_of(BulkMutation))
    return strawberry.type(type("Mutation", (), fields))


def _fields_of(mutations: type) -> dict[str, object]:
    """The mutation fields declared on a strawberry type, to merge into `Mutation`."""
    return {
        field.python_name: field
        for field in mutations.__strawberry_definition__.fields  # type: ignore[attr-defined]
    }


class CRMSchema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: Any = None) -> None:
        """Errors are logged by the HTTP layer, unexpected ones only and with an error id."""


schema = CRMSchema(
    query=Query,
    mutation=_mutation_type(),
    types=[node for node, _ in NODE_TYPES.values()],
    config=StrawberryConfig(auto_camel_case=True),
    extensions=[lambda: ParserCache(maxsize=512), lambda: ValidationCache(maxsize=512)],
)
