"""The error catalogue: every code parley can answer with, and the one envelope they render to.

Everything that reports an error (HTTP handlers, WebSocket frames, the SDK's exception classes,
docs/errors.md) is driven from the classes below. Codes are explicit strings, never class names,
so renaming a class can never break a client that matches on ``code``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar


@dataclass(frozen=True)
class ErrorSpec:
    code: str
    id: int
    status: int
    message: str
    domain: str


CATALOGUE: dict[str, type[ParleyError]] = {}


class ParleyError(Exception):
    """Base of every catalogue error. Subclasses declare their spec as class keywords."""

    spec: ClassVar[ErrorSpec]

    def __init_subclass__(
        cls,
        *,
        code: str,
        id: int,
        status: int,
        message: str,
        domain: str,
        **kwargs: Any,
    ) -> None:
        super().__init_subclass__(**kwargs)
        if code in CATALOGUE:
            raise RuntimeError(f"duplicate error code {code}")
        if any(other.spec.id == id for other in CATALOGUE.values()):
            raise RuntimeError(f"duplicate error id {id} for {code}")
        cls.spec = ErrorSpec(code=code, id=id, status=status, message=message, domain=domain)
        CATALOGUE[code] = cls

    def __init__(
        self,
        message: str | None = None,
        *,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        persist: bool = False,
    ) -> None:
        self.message = message or self.spec.message
        self.data = data
        self.headers = headers or {}
        # True when the error reports a state change the server must keep (a conversation that
        # timed out is ended even though the request that found out is answered with an error).
        self.persist = persist
        super().__init__(self.message)

    @property
    def status(self) -> int:
        return self.spec.status

    def envelope(self, correlation_id: str) -> dict[str, Any]:
        return render_envelope(self.spec, self.message, correlation_id, self.data)


def render_envelope(
    spec: ErrorSpec, message: str, correlation_id: str, data: dict[str, Any] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "code": spec.code,
        "id": spec.id,
        "message": message,
        "correlation_id": correlation_id,
    }
    if data is not None:
        body["data"] = data
    return {"error": body}


# --- Generic (not in the seed's platform table; ids fixed by CONTRACT.md) -------------------------

_G = "generic"


class SchemaValidationFailed(
    ParleyError,
    code="SCHEMA_VALIDATION_FAILED",
    id=1,
    status=400,
    message="Request body failed schema validation.",
    domain=_G,
): ...


class ResourceNotFound(
    ParleyError,
    code="RESOURCE_NOT_FOUND",
    id=4,
    status=404,
    message="No resource exists at this path.",
    domain=_G,
): ...


class MethodNotAllowed(
    ParleyError,
    code="METHOD_NOT_ALLOWED",
    id=5,
    status=405,
    message="The HTTP method is not supported for this endpoint.",
    domain=_G,
): ...


class RequestTimeout(
    ParleyError,
    code="REQUEST_TIMEOUT",
    id=6,
    status=408,
    message="The request exceeded the server timeout.",
    domain=_G,
): ...


class UnsupportedMediaType(
    ParleyError,
    code="UNSUPPORTED_MEDIA_TYPE",
    id=7,
    status=415,
    message="The request content type is not supported by this endpoint.",
    domain=_G,
): ...


class UnprocessableEntity(
    ParleyError,
    code="UNPROCESSABLE_ENTITY",
    id=8,
    status=422,
    message="The request is well-formed but contains semantic errors.",
    domain=_G,
): ...


class RateLimitExceeded(
    ParleyError,
    code="RATE_LIMIT_EXCEEDED",
    id=9,
    status=429,
    message="Rate limit exceeded. Retry after the period in the Retry-After header.",
    domain=_G,
): ...


class InternalServerError(
    ParleyError,
    code="INTERNAL_SERVER_ERROR",
    id=10,
    status=500,
    message="An unexpected error occurred on the server.",
    domain=_G,
): ...


class NotImplementedYet(
    ParleyError,
    code="NOT_IMPLEMENTED",
    id=11,
    status=501,
    message="This endpoint is part of the public API but parley does not serve it yet.",
    domain=_G,
): ...


class BadGateway(
    ParleyError,
    code="BAD_GATEWAY",
    id=12,
    status=502,
    message="An upstream service returned an error or timed out.",
    domain=_G,
): ...


class ServiceUnavailable(
    ParleyError,
    code="SERVICE_UNAVAILABLE",
    id=13,
    status=503,
    message="The service is temporarily unavailable.",
    domain=_G,
): ...


class PayloadTooLarge(
    ParleyError,
    code="PAYLOAD_TOO_LARGE",
    id=14,
    status=413,
    message="The request body is larger than the server accepts.",
    domain=_G,
): ...


class Conflict(
    ParleyError,
    code="CONFLICT",
    id=15,
    status=409,
    message="The request conflicts with the current state of the resource.",
    domain=_G,
): ...


class Gone(
    ParleyError,
    code="GONE",
    id=16,
    status=410,
    message="The resource has been permanently deleted.",
    domain=_G,
): ...


class PreconditionFailed(
    ParleyError,
    code="PRECONDITION_FAILED",
    id=17,
    status=412,
    message="A required precondition was not met.",
    domain=_G,
): ...


# --- Authentication and authorization ---------------------------------------------------------

_A = "auth"


class AuthUserNotFound(
    ParleyError,
    code="AUTH_USER_NOT_FOUND",
    id=3001,
    status=404,
    message="User not found in the auth system.",
    domain=_A,
): ...


class AuthUserUnauthorised(
    ParleyError,
    code="AUTH_USER_UNAUTHORISED",
    id=3002,
    status=401,
    message="Invalid credentials or expired session.",
    domain=_A,
): ...


class AuthUserInvalidToken(
    ParleyError,
    code="AUTH_USER_INVALID_TOKEN",
    id=3003,
    status=401,
    message="Token is malformed, expired, or revoked.",
    domain=_A,
): ...


class AuthUserAlreadyExists(
    ParleyError,
    code="AUTH_USER_ALREADY_EXISTS",
    id=3004,
    status=409,
    message="A user with this email already exists in the account.",
    domain=_A,
): ...


class ApiKeyNotFound(
    ParleyError,
    code="API_KEY_NOT_FOUND",
    id=3005,
    status=404,
    message="API key does not exist.",
    domain=_A,
): ...


class UserAccessForbidden(
    ParleyError,
    code="USER_ACCESS_FORBIDDEN",
    id=2,
    status=403,
    message="User lacks permission for the requested action.",
    domain=_A,
): ...


class ExternalUserForbidden(
    ParleyError,
    code="EXTERNAL_USER_FORBIDDEN",
    id=3,
    status=403,
    message="External user privilege level is too low.",
    domain=_A,
): ...


class AccountInsufficientPermissions(
    ParleyError,
    code="ACCOUNT_INSUFFICIENT_PERMISSIONS",
    id=1003,
    status=403,
    message="User lacks permissions for this account operation.",
    domain=_A,
): ...


# --- Accounts and projects -------------------------------------------------------------------

_P = "accounts"


class AccountNotFound(
    ParleyError,
    code="ACCOUNT_NOT_FOUND",
    id=1002,
    status=404,
    message="Account ID does not exist.",
    domain=_P,
): ...


class AccountCreateInvalidId(
    ParleyError,
    code="ACCOUNT_CREATE_INVALID_ID",
    id=1004,
    status=400,
    message="Account ID contains non-alphanumeric characters or is too similar to an existing ID.",
    domain=_P,
): ...


class AccountCreateExistingId(
    ParleyError,
    code="ACCOUNT_CREATE_EXISTING_ID",
    id=1006,
    status=409,
    message="Account ID is already taken.",
    domain=_P,
): ...


class ProjectNotFound(
    ParleyError,
    code="PROJECT_NOT_FOUND",
    id=15001,
    status=404,
    message="Project ID does not exist.",
    domain=_P,
): ...


class ProjectIdAlreadyExists(
    ParleyError,
    code="PROJECT_ID_ALREADY_EXISTS",
    id=15005,
    status=409,
    message="Project ID is already taken.",
    domain=_P,
): ...


class ProjectIdInvalid(
    ParleyError,
    code="PROJECT_ID_INVALID",
    id=15006,
    status=400,
    message="Project ID does not meet format requirements.",
    domain=_P,
): ...


# --- Conversations ---------------------------------------------------------------------------

_CV = "conversations"


class ConversationsNotFound(
    ParleyError,
    code="CONVERSATIONS_NOT_FOUND",
    id=5001,
    status=404,
    message="Conversation ID does not exist.",
    domain=_CV,
): ...


class ConversationsValidationFailed(
    ParleyError,
    code="CONVERSATIONS_VALIDATION_FAILED",
    id=5002,
    status=400,
    message="Conversation request body failed validation.",
    domain=_CV,
): ...


class ConversationsRecordingNotFound(
    ParleyError,
    code="CONVERSATIONS_RECORDING_NOT_FOUND",
    id=5003,
    status=404,
    message="Audio recording not found for this conversation.",
    domain=_CV,
): ...


class GetConversationsFilterParseError(
    ParleyError,
    code="GET_CONVERSATIONS_FILTER_PARSE_ERROR",
    id=5004,
    status=400,
    message="Filter expression syntax is invalid.",
    domain=_CV,
): ...


class GetConversationsInvalidSortParameter(
    ParleyError,
    code="GET_CONVERSATIONS_INVALID_SORT_PARAMETER",
    id=5005,
    status=400,
    message="Sort field is not in the allowed set.",
    domain=_CV,
): ...


# --- Chat -------------------------------------------------------------------------------------

_CH = "chat"


class ChatDraftNotExist(
    ParleyError,
    code="CHAT_DRAFT_NOT_EXIST",
    id=4001,
    status=400,
    message="The draft you are attempting to chat with does not exist.",
    domain=_CH,
): ...


class ChatTimeout(
    ParleyError,
    code="CHAT_TIMEOUT",
    id=4002,
    status=400,
    message="Chat session exceeded the timeout limit.",
    domain=_CH,
): ...


class ChatDraftDeploymentFailed(
    ParleyError,
    code="CHAT_DRAFT_DEPLOYMENT_FAILED",
    id=4003,
    status=500,
    message="Draft auto-deploy failed before the chat could start.",
    domain=_CH,
): ...


class ChatConversationEnded(
    ParleyError,
    code="ChatConversationEnded",
    id=4004,
    status=410,
    message="You sent a message to a conversation that has already ended.",
    domain=_CH,
): ...


# --- Deployments ------------------------------------------------------------------------------

_D = "deployments"


class DeploymentNotFound(
    ParleyError,
    code="DEPLOYMENT_NOT_FOUND",
    id=6001,
    status=404,
    message="Deployment ID does not exist.",
    domain=_D,
): ...


class DeploymentsAlreadyPublished(
    ParleyError,
    code="DEPLOYMENTS_ALREADY_PUBLISHED",
    id=6009,
    status=409,
    message="Draft is already published to the target environment.",
    domain=_D,
): ...


class DeploymentsEnvironmentAlreadyPublished(
    ParleyError,
    code="DEPLOYMENTS_ENVIRONMENT_ALREADY_PUBLISHED",
    id=6002,
    status=200,
    message="Environment already has this version.",
    domain=_D,
):
    """Not an error response: rendered as a ``notice`` on a 200 (CONTRACT.md)."""


class DeploymentsValidationFailed(
    ParleyError,
    code="DEPLOYMENTS_VALIDATION_FAILED",
    id=6007,
    status=400,
    message="Request body validation failed.",
    domain=_D,
): ...


class DeploymentsInvalidEnvironment(
    ParleyError,
    code="DEPLOYMENTS_INVALID_ENVIRONMENT",
    id=6008,
    status=400,
    message="Invalid or missing environment query parameter.",
    domain=_D,
): ...


class ErrPreReleaseNotReady(
    ParleyError,
    code="ErrPreReleaseNotReady",
    id=6010,
    status=412,
    message="You must deploy to pre-release before promoting to live.",
    domain=_D,
): ...


# --- Branches ---------------------------------------------------------------------------------

_B = "branches"


class BranchNotFound(
    ParleyError,
    code="BRANCH_NOT_FOUND",
    id=7001,
    status=404,
    message="Branch does not exist.",
    domain=_B,
): ...


class BranchNameAlreadyExists(
    ParleyError,
    code="BRANCH_NAME_ALREADY_EXISTS",
    id=7002,
    status=409,
    message="A branch with this name already exists.",
    domain=_B,
): ...


class BranchMainReadOnly(
    ParleyError,
    code="BRANCH_MAIN_READ_ONLY",
    id=7003,
    status=422,
    message="Cannot directly update main branch.",
    domain=_B,
): ...


class BranchMergeConflict(
    ParleyError,
    code="BRANCH_MERGE_CONFLICT",
    id=7004,
    status=409,
    message="The branch conflicts with main.",
    domain=_B,
): ...


# --- Flows ------------------------------------------------------------------------------------

_F = "flows"


class FlowNotFound(
    ParleyError,
    code="FLOW_NOT_FOUND",
    id=8001,
    status=404,
    message="Flow ID does not exist.",
    domain=_F,
): ...


class FlowsNameAlreadyExists(
    ParleyError,
    code="FLOWS_NAME_ALREADY_EXISTS",
    id=8003,
    status=409,
    message="A flow with this name already exists.",
    domain=_F,
): ...


class FlowsFunctionNameAlreadyExists(
    ParleyError,
    code="FLOWS_FUNCTION_NAME_ALREADY_EXISTS",
    id=8004,
    status=409,
    message="A function with this name already exists in the flow.",
    domain=_F,
): ...


class FlowsReservedParameterName(
    ParleyError,
    code="FLOWS_RESERVED_PARAMETER_NAME",
    id=8005,
    status=400,
    message="You used a reserved parameter name.",
    domain=_F,
): ...


class FlowsReservedFunctionName(
    ParleyError,
    code="FLOWS_RESERVED_FUNCTION_NAME",
    id=8006,
    status=400,
    message="You used a reserved function name.",
    domain=_F,
): ...


class FlowStepNotFound(
    ParleyError,
    code="FLOW_STEP_NOT_FOUND",
    id=8007,
    status=404,
    message="Step does not exist in this flow.",
    domain=_F,
): ...


class FlowStepNameAlreadyExists(
    ParleyError,
    code="FLOW_STEP_NAME_ALREADY_EXISTS",
    id=8008,
    status=409,
    message="A step with this name already exists in the flow.",
    domain=_F,
): ...


class EntityNotFound(
    ParleyError,
    code="ENTITY_NOT_FOUND",
    id=8009,
    status=404,
    message="Entity does not exist.",
    domain=_F,
): ...


class EntityNameAlreadyExists(
    ParleyError,
    code="ENTITY_NAME_ALREADY_EXISTS",
    id=8010,
    status=409,
    message="An entity with this name already exists.",
    domain=_F,
): ...


# --- Functions --------------------------------------------------------------------------------

_FN = "functions"


class FunctionNotFound(
    ParleyError,
    code="FUNCTION_NOT_FOUND",
    id=9001,
    status=404,
    message="Function ID does not exist.",
    domain=_FN,
): ...


class FunctionsDeploymentHasErrors(
    ParleyError,
    code="FUNCTIONS_DEPLOYMENT_HAS_ERRORS",
    id=9004,
    status=400,
    message="Function code contains errors that prevent deployment.",
    domain=_FN,
): ...


class FunctionExecutionFailed(
    ParleyError,
    code="FUNCTION_EXECUTION_FAILED",
    id=9006,
    status=400,
    message="Function encountered a runtime execution error.",
    domain=_FN,
): ...


class FunctionFailedToParse(
    ParleyError,
    code="FUNCTION_FAILED_TO_PARSE",
    id=9007,
    status=400,
    message="Function source code has parse errors.",
    domain=_FN,
): ...


class FunctionNameAlreadyExists(
    ParleyError,
    code="FUNCTION_NAME_ALREADY_EXISTS",
    id=9009,
    status=409,
    message="A function with this name already exists.",
    domain=_FN,
): ...


class FunctionsReservedName(
    ParleyError,
    code="FUNCTIONS_RESERVED_NAME",
    id=9010,
    status=400,
    message="You used a system-reserved function name.",
    domain=_FN,
): ...


# --- Knowledge base ---------------------------------------------------------------------------

_K = "knowledge_base"


class KnowledgeBaseTopicAlreadyExists(
    ParleyError,
    code="KNOWLEDGE_BASE_TOPIC_ALREADY_EXISTS",
    id=11001,
    status=409,
    message="A topic with this name already exists.",
    domain=_K,
): ...


class KnowledgeBaseImportNoCsvFound(
    ParleyError,
    code="KNOWLEDGE_BASE_IMPORT_NO_CSV_FOUND",
    id=11002,
    status=400,
    message="No CSV file found in the import request.",
    domain=_K,
): ...


class KnowledgeBaseImportInvalidType(
    ParleyError,
    code="KNOWLEDGE_BASE_IMPORT_INVALID_TYPE",
    id=11003,
    status=415,
    message="The uploaded file type is not supported.",
    domain=_K,
): ...


class KnowledgeBaseImportMissingColumns(
    ParleyError,
    code="KNOWLEDGE_BASE_IMPORT_MISSING_COLUMNS",
    id=11004,
    status=400,
    message="Required columns are missing from the CSV import.",
    domain=_K,
): ...


class KnowledgeBaseTopicsInvalid(
    ParleyError,
    code="KNOWLEDGE_BASE_TOPICS_INVALID",
    id=11005,
    status=400,
    message="Topic data failed validation.",
    domain=_K,
): ...


class KnowledgeBaseRichTextInvalid(
    ParleyError,
    code="KNOWLEDGE_BASE_RICH_TEXT_INVALID",
    id=11006,
    status=400,
    message="Rich text markup is malformed or references a missing entity.",
    domain=_K,
): ...


class KnowledgeBaseTopicNotFound(
    ParleyError,
    code="KNOWLEDGE_BASE_TOPIC_NOT_FOUND",
    id=11007,
    status=404,
    message="Topic does not exist.",
    domain=_K,
): ...


# --- Phone numbers and connectors -------------------------------------------------------------

_T = "telephony"


class PhoneNumbersInvalidPhoneNumberFormat(
    ParleyError,
    code="PHONE_NUMBERS_INVALID_PHONE_NUMBER_FORMAT",
    id=14003,
    status=400,
    message="Number is not in valid E.164 format.",
    domain=_T,
): ...


class PhoneNumbersConnectorDoesNotExist(
    ParleyError,
    code="PHONE_NUMBERS_CONNECTOR_DOES_NOT_EXIST",
    id=14005,
    status=404,
    message="Referenced connector not found.",
    domain=_T,
): ...


class PhoneNumbersNotFound(
    ParleyError,
    code="PHONE_NUMBERS_NOT_FOUND",
    id=14006,
    status=404,
    message="Phone number does not exist.",
    domain=_T,
): ...


class PhoneNumbersAlreadyExists(
    ParleyError,
    code="PHONE_NUMBERS_ALREADY_EXISTS",
    id=14007,
    status=409,
    message="Phone number has already been imported.",
    domain=_T,
): ...


class ConnectorsNotFound(
    ParleyError,
    code="CONNECTORS_NOT_FOUND",
    id=14100,
    status=404,
    message="Connector ID does not exist.",
    domain=_T,
): ...


class ConnectorsValidationFailed(
    ParleyError,
    code="CONNECTORS_VALIDATION_FAILED",
    id=14101,
    status=400,
    message="Connector request body failed validation.",
    domain=_T,
): ...


class HandoffNotFound(
    ParleyError,
    code="HANDOFF_NOT_FOUND",
    id=14008,
    status=404,
    message="Handoff does not exist.",
    domain=_T,
): ...


class HandoffNameAlreadyExists(
    ParleyError,
    code="HANDOFF_NAME_ALREADY_EXISTS",
    id=14009,
    status=409,
    message="A handoff with this name already exists.",
    domain=_T,
): ...


# --- SMS --------------------------------------------------------------------------------------

_S = "sms"


class SmsTemplateNotFound(
    ParleyError,
    code="SMS_TEMPLATE_NOT_FOUND",
    id=20001,
    status=404,
    message="SMS template ID does not exist.",
    domain=_S,
): ...


class SmsTemplateNameAlreadyExists(
    ParleyError,
    code="SMS_TEMPLATE_NAME_ALREADY_EXISTS",
    id=20002,
    status=409,
    message="An SMS template with this name already exists.",
    domain=_S,
): ...


class SmsMessageNotFound(
    ParleyError,
    code="SMS_MESSAGE_NOT_FOUND",
    id=20003,
    status=404,
    message="SMS message does not exist.",
    domain=_S,
): ...


# --- Variants ---------------------------------------------------------------------------------

_V = "variants"


class VariantsBadAttributesError(
    ParleyError,
    code="VARIANTS_BAD_ATTRIBUTES_ERROR",
    id=26001,
    status=400,
    message="Attribute values do not match the expected schema.",
    domain=_V,
): ...


class VariantsDuplicateNameError(
    ParleyError,
    code="VARIANTS_DUPLICATE_NAME_ERROR",
    id=26002,
    status=409,
    message="A variant with this name already exists.",
    domain=_V,
): ...


class VariantsRemoveDefaultError(
    ParleyError,
    code="VARIANTS_REMOVE_DEFAULT_ERROR",
    id=26003,
    status=400,
    message="You cannot remove the default variant.",
    domain=_V,
): ...


class VariantsImportInvalidDelimiter(
    ParleyError,
    code="VariantsImportInvalidDelimiter",
    id=26004,
    status=400,
    message="CSV delimiter not recognized.",
    domain=_V,
): ...


class VariantImportMissingColumnsHttp(
    ParleyError,
    code="VariantImportMissingColumnsHttp",
    id=26005,
    status=400,
    message="CSV is missing required columns.",
    domain=_V,
): ...


class VariantImportDuplicateColumnsHttp(
    ParleyError,
    code="VariantImportDuplicateColumnsHttp",
    id=26006,
    status=400,
    message="CSV has duplicate column headers.",
    domain=_V,
): ...


class VariantNotFound(
    ParleyError,
    code="VARIANT_NOT_FOUND",
    id=26007,
    status=404,
    message="Variant does not exist.",
    domain=_V,
): ...


class AttributeNotFound(
    ParleyError,
    code="ATTRIBUTE_NOT_FOUND",
    id=26008,
    status=404,
    message="Attribute does not exist.",
    domain=_V,
): ...


class AttributeNameAlreadyExists(
    ParleyError,
    code="ATTRIBUTE_NAME_ALREADY_EXISTS",
    id=26009,
    status=409,
    message="An attribute with this name already exists.",
    domain=_V,
): ...


# --- Real-time configuration ------------------------------------------------------------------

_R = "real_time_config"


class RealTimeConfigForbiddenAccess(
    ParleyError,
    code="REAL_TIME_CONFIG_FORBIDDEN_ACCESS",
    id=29001,
    status=403,
    message="Not authorized to access real-time configs.",
    domain=_R,
): ...


class RealTimeConfigInvalidForSchema(
    ParleyError,
    code="REAL_TIME_CONFIG_INVALID_FOR_SCHEMA",
    id=29002,
    status=400,
    message="Config values fail JSON Schema validation.",
    domain=_R,
): ...


class RealTimeConfigInvalidSchema(
    ParleyError,
    code="REAL_TIME_CONFIG_INVALID_SCHEMA",
    id=29004,
    status=400,
    message="JSON Schema definition is invalid.",
    domain=_R,
): ...


class RealTimeConfigUnknownClientEnvironment(
    ParleyError,
    code="REAL_TIME_CONFIG_UNKNOWN_CLIENT_ENVIRONMENT",
    id=29006,
    status=400,
    message="Client environment is not one of sandbox, pre-release, or live.",
    domain=_R,
): ...


# --- Test suite -------------------------------------------------------------------------------

_TS = "testing"


class MissingTestCasesHttp(
    ParleyError,
    code="MissingTestCasesHttp",
    id=30001,
    status=422,
    message="One or more test case IDs were not found.",
    domain=_TS,
): ...


class NoTestCasesHttp(
    ParleyError,
    code="NoTestCasesHttp",
    id=30002,
    status=422,
    message="No test cases exist for this project.",
    domain=_TS,
): ...


class TestRunNotFound(
    ParleyError,
    code="TEST_RUN_NOT_FOUND",
    id=30003,
    status=404,
    message="Test run does not exist.",
    domain=_TS,
):
    __test__ = False  # a catalogue entry, not a pytest class


class TestCaseNotFound(
    ParleyError,
    code="TEST_CASE_NOT_FOUND",
    id=30004,
    status=404,
    message="Test case does not exist.",
    domain=_TS,
):
    __test__ = False


class TestCaseNameAlreadyExists(
    ParleyError,
    code="TEST_CASE_NAME_ALREADY_EXISTS",
    id=30005,
    status=409,
    message="A test case with this name already exists.",
    domain=_TS,
):
    __test__ = False


def by_status(status: int) -> type[ParleyError]:
    """The generic error for a bare HTTP status raised by the framework (routing, methods)."""
    for cls in CATALOGUE.values():
        if cls.spec.domain == _G and cls.spec.status == status:
            return cls
    return InternalServerError if status >= 500 else SchemaValidationFailed


# WebSocket close codes (the seed's table; 408 moved into the application range, CONTRACT.md).
WS_CLOSE_NORMAL = 1000
WS_CLOSE_ABNORMAL = 1006  # observed by clients when a connection drops; never sent by the server
WS_CLOSE_PONG_TIMEOUT = 4408
