"""The three resource kinds of this slice, as the generic branch store sees them.

The seed has no step-specific codes: an unknown step answers FLOW_NOT_FOUND and a step name
taken in its flow answers FLOWS_NAME_ALREADY_EXISTS, each with a message that names the step.
"""

from __future__ import annotations

from parley.branches import kinds
from parley.branches.store import ResourceKind
from parley.errors import (
    FlowNotFound,
    FlowsFunctionNameAlreadyExists,
    FlowsNameAlreadyExists,
    FlowStepNameAlreadyExists,
    FlowStepNotFound,
    FunctionNotFound,
)

FLOW = ResourceKind(
    name=kinds.FLOW,
    id_prefix="FLOW",
    label="Flow",
    not_found=FlowNotFound,
    name_taken=FlowsNameAlreadyExists,
)
STEP = ResourceKind(
    name=kinds.FLOW_STEP,
    id_prefix="STEP",
    label="Step",
    not_found=FlowStepNotFound,
    name_taken=FlowStepNameAlreadyExists,
)
FLOW_FUNCTION = ResourceKind(
    name=kinds.FLOW_FUNCTION,
    id_prefix="FLOW_FUNCTION",
    label="Function",
    not_found=FunctionNotFound,
    name_taken=FlowsFunctionNameAlreadyExists,
)
