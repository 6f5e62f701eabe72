"""Every ORM table, importable from one place (Alembic autogenerate and relationships need it)."""

from parley.kit.db import Base
from parley.models.account import Account, ApiKey, User
from parley.models.agent import Agent, Branch
from parley.models.branch_resource import BranchBaseResource, BranchResource
from parley.models.conversation import Conversation, ConversationRecording, ConversationTurn
from parley.models.deployment import ActiveDeployment, Artifact, Deployment
from parley.models.messaging import MessagingEvent, MessagingSession
from parley.models.realtime import RealTimeConfig
from parley.models.sms import SmsMessage, SmsOptOut
from parley.models.system import SystemFlag
from parley.models.telephony import Connector, PhoneNumber
from parley.models.testing import TestResult, TestRun, TestSettings

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
    "ConversationRecording",
    "ConversationTurn",
    "Deployment",
    "MessagingEvent",
    "MessagingSession",
    "PhoneNumber",
    "RealTimeConfig",
    "SmsMessage",
    "SmsOptOut",
    "SystemFlag",
    "TestResult",
    "TestRun",
    "TestSettings",
    "User",
]
