"""Every ORM table, importable from one place (Alembic autogenerate and relationships need it)."""

from parley.kit.db import Base
from parley.models.account import Account, ApiKey, User
from parley.models.agent import Agent, Branch
from parley.models.branch_resource import BranchBaseResource, BranchResource
from parley.models.conversation import Conversation, ConversationTurn
from parley.models.deployment import ActiveDeployment, Artifact, Deployment
from parley.models.messaging import MessagingEvent, MessagingSession
from parley.models.realtime import RealTimeConfig
from parley.models.system import SystemFlag
from parley.models.telephony import Connector, PhoneNumber

__all__ = [
    "Account",
    "ActiveDeployment",
    "Agent",
    "ApiKey",
    "Artifact",
    "Base",
    "Branch",
    "BranchBaseResource",
    "BranchResource",
    "Connector",
    "Conversation",
    "ConversationTurn",
    "Deployment",
    "MessagingEvent",
    "MessagingSession",
    "PhoneNumber",
    "RealTimeConfig",
    "SystemFlag",
    "User",
]
