"""The GraphQL enums of tickets, shared by their types, inputs, SLA policies and reports."""

from __future__ import annotations

import strawberry

from models import TicketChannel as TicketChannelModel
from models import TicketPriority as TicketPriorityModel
from models import TicketStatus as TicketStatusModel

TicketStatus = strawberry.enum(TicketStatusModel, name="TicketStatus")
TicketPriority = strawberry.enum(TicketPriorityModel, name="TicketPriority")
TicketChannel = strawberry.enum(TicketChannelModel, name="TicketChannel")
