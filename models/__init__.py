"""SQLModel tables: the CRM's data model. Imports nothing of ours beyond this package."""

from models.activities import Interaction, InteractionKind
from models.base import Entity, SoftDeletable, UTCDateTime, utcnow
from models.campaigns import (
    Campaign,
    CampaignChannel,
    CampaignMember,
    CampaignStatus,
    MemberStatus,
)
from models.customers import Contact, CreditStatus, Customer, LifecycleStage
from models.deals import (
    Deal,
    DealLineItem,
    DealStageChange,
    ExchangeRate,
    ForecastCategory,
    LostReason,
    Pipeline,
    Product,
    ProductPrice,
    Stage,
    StageKind,
)
from models.events import Event
from models.integrations import (
    Connection,
    ConnectionState,
    ExternalRef,
    IdempotencyKey,
    InboundMessage,
)
from models.privacy import Consent, ConsentPurpose
from models.purchases import Purchase, PurchaseKind, PurchaseLine, PurchaseStatus
from models.security import ApiClient, AuditEntry
from models.tickets import Ticket, TicketChannel, TicketComment, TicketPriority, TicketStatus
from models.users import Role, Team, User
from models.webhooks import (
    DeliveryStatus,
    EndpointState,
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
)

__all__ = [
    "ApiClient",
    "AuditEntry",
    "Campaign",
    "CampaignChannel",
    "CampaignMember",
    "CampaignStatus",
    "Connection",
    "ConnectionState",
    "Consent",
    "ConsentPurpose",
    "Contact",
    "CreditStatus",
    "Customer",
    "Deal",
    "DealLineItem",
    "DealStageChange",
    "DeliveryStatus",
    "EndpointState",
    "Entity",
    "Event",
    "ExchangeRate",
    "ExternalRef",
    "ForecastCategory",
    "IdempotencyKey",
    "InboundMessage",
    "Interaction",
    "InteractionKind",
    "LifecycleStage",
    "LostReason",
    "MemberStatus",
    "Pipeline",
    "Product",
    "ProductPrice",
    "Purchase",
    "PurchaseKind",
    "PurchaseLine",
    "PurchaseStatus",
    "Role",
    "SoftDeletable",
    "Stage",
    "StageKind",
    "Team",
    "Ticket",
    "TicketChannel",
    "TicketComment",
    "TicketPriority",
    "TicketStatus",
    "UTCDateTime",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "utcnow",
]
