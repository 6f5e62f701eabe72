"""The names of every branch-scoped resource kind, fixed in one place.

They are stored in ``branch_resource.kind``, appear in merge-conflict paths and export documents,
and are what references (``{{fn:name}}`` ...) resolve against, so they never change casually.
"""

from __future__ import annotations

BEHAVIOR = "behavior"
TOPIC = "topic"
FLOW = "flow"
FLOW_STEP = "flow_step"  # parent: the flow
FLOW_FUNCTION = "flow_function"  # parent: the flow (transition functions)
FUNCTION = "function"  # global functions
SPECIAL_FUNCTION = "special_function"  # resource ids "start" and "end"
ENTITY = "entity"
HANDOFF = "handoff"
SMS_TEMPLATE = "sms_template"
VARIANT = "variant"
ATTRIBUTE = "attribute"
TEST_CASE = "test_case"

ALL_KINDS = (
    BEHAVIOR,
    TOPIC,
    FLOW,
    FLOW_STEP,
    FLOW_FUNCTION,
    FUNCTION,
    SPECIAL_FUNCTION,
    ENTITY,
    HANDOFF,
    SMS_TEMPLATE,
    VARIANT,
    ATTRIBUTE,
    TEST_CASE,
)
