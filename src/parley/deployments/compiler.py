"""Compile a branch into one immutable artifact document, after checking the whole branch.

Every problem is collected (not just the first), each with the path of the resource at fault,
so that one failed publish tells the builder everything to fix.
"""

from __future__ import annotations

import ast
import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from parley.branches import kinds
from parley.branches.names import clean_name
from parley.branches.references import ReferenceResolver
from parley.branches.repository import BranchRepository
from parley.errors import FunctionFailedToParse
from parley.functions.parsing import parse_function
from parley.models import Agent, Branch, BranchResource

FORMAT_VERSION = 1
_VOLATILE_FIELDS = ("createdAt", "updatedAt")

# Where each text field may hold references (agent-model.md §1.3).
_RULES_PREFIXES = ("fn", "twilio_sms", "sms", "ho", "attr", "vrbl")
_TOPIC_PREFIXES = ("fn", "ft", "twilio_sms", "sms", "ho", "attr", "vrbl", "entity")
_STEP_PREFIXES = ("fn", "ft", "twilio_sms", "sms", "ho", "attr", "vrbl", "entity")
_SMS_PREFIXES = ("vrbl",)


@dataclass(frozen=True)
class CompileError:
    path: str
    message: str
    data: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "message": self.message, **({"details": self.data} if self.data else {})}


@dataclass(frozen=True)
class CompiledArtifact:
    content: dict[str, Any]
    version: str
    errors: list[CompileError]

    @property
    def ok(self) -> bool:
        return not self.errors


def content_hash(content: dict[str, Any]) -> str:
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _VOLATILE_FIELDS}


def _by_name(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(rows, key=lambda d: (str(d.get("name", "")), str(d.get("id", ""))))


def step_entry_name(step: dict[str, Any]) -> str:
    """The Python function a function step's code must define."""
    return str(step.get("functionName") or clean_name(str(step.get("name", ""))))


class _Compiler:
    def __init__(self, session: AsyncSession, branch: Branch) -> None:
        self.session = session
        self.branch = branch
        self.errors: list[CompileError] = []
        self.resolver = ReferenceResolver(session, branch.id)

    def error(self, path: str, message: str, **data: Any) -> None:
        self.errors.append(CompileError(path, message, data))

    async def references(
        self, path: str, text: str, prefixes: tuple[str, ...], flow_id: str | None = None
    ) -> None:
        bad = await self.resolver.check(text, prefixes, flow_id=flow_id)
        if bad:
            self.error(path, "Invalid references.", references=[b.as_dict() for b in bad])

    def parse(self, path: str, code: str, name: str, leading: tuple[str, ...]) -> ast.Module | None:
        try:
            parse_function(code, name, leading=leading)
        except FunctionFailedToParse as exc:
            self.error(path, exc.message, **(exc.data or {}))
            return None
        return ast.parse(code)

    async def run(self, agent: Agent) -> CompiledArtifact:
        rows = list(await BranchRepository(self.session).all_resources(self.branch.id))
        docs: dict[str, list[BranchResource]] = defaultdict(list)
        for row in rows:
            docs[row.kind].append(row)

        behavior = next((r.data.get("behavior", "") for r in docs[kinds.BEHAVIOR]), "")
        await self.references("behavior", str(behavior), _RULES_PREFIXES)

        topics = [_clean(r.data) for r in docs[kinds.TOPIC]]
        for topic in topics:
            text = f"{topic.get('actions', '')}\n{topic.get('content', '')}"
            await self.references(f"topics/{topic.get('name')}", text, _TOPIC_PREFIXES)

        functions = [_clean(r.data) for r in docs[kinds.FUNCTION]]
        flow_names = {clean_name(str(r.data.get("name", ""))) for r in docs[kinds.FLOW]}
        for function in functions:
            path = f"functions/{function.get('name')}"
            tree = self.parse(path, str(function.get("code", "")), str(function.get("name", "")), ("conv",))
            self.check_gotos(path, tree, flow_names, step_names=None)

        special = {r.resource_id: _clean(r.data) for r in docs[kinds.SPECIAL_FUNCTION]}
        for resource_id, entry in (("start", "start_function"), ("end", "end_function")):
            if resource_id in special:
                path = f"functions/{entry}"
                tree = self.parse(path, str(special[resource_id].get("code", "")), entry, ("conv",))
                self.check_gotos(path, tree, flow_names, step_names=None)

        entity_names = {clean_name(str(r.data.get("name", ""))) for r in docs[kinds.ENTITY]}
        flows = [await self.compile_flow(r, docs, flow_names, entity_names) for r in docs[kinds.FLOW]]

        sms_templates = [_clean(r.data) for r in docs[kinds.SMS_TEMPLATE]]
        for template in sms_templates:
            await self.references(
                f"smsTemplates/{template.get('name')}", str(template.get("text", "")), _SMS_PREFIXES
            )

        variants = [_clean(r.data) for r in docs[kinds.VARIANT]]
        defaults = [v for v in variants if v.get("isDefault")]
        if variants and len(defaults) != 1:
            self.error(
                "variants",
                "Exactly one variant must be the default.",
                defaults=[v.get("name") for v in defaults],
            )

        handoffs = [_clean(r.data) for r in docs[kinds.HANDOFF]]
        handoff_defaults = [h for h in handoffs if h.get("isDefault")]
        if handoffs and len(handoff_defaults) != 1:
            self.error(
                "handoffs",
                "Exactly one handoff must be the default.",
                defaults=[h.get("name") for h in handoff_defaults],
            )

        content: dict[str, Any] = {
            "formatVersion": FORMAT_VERSION,
            "agent": {
                "responseSettings": agent.response_settings,
                "voiceSettings": agent.voice_settings,
                "llmSettings": agent.llm_settings,
                "experimentalConfig": agent.experimental_config,
            },
            "behavior": behavior,
            "topics": _by_name(topics),
            "flows": _by_name(flows),
            "functions": _by_name(functions),
            "startFunction": special.get("start"),
            "endFunction": special.get("end"),
            "entities": _by_name([_clean(r.data) for r in docs[kinds.ENTITY]]),
            "handoffs": _by_name(handoffs),
            "smsTemplates": _by_name(sms_templates),
            "variants": _by_name(variants),
            "attributes": _by_name([_clean(r.data) for r in docs[kinds.ATTRIBUTE]]),
            "testCases": _by_name([_clean(r.data) for r in docs[kinds.TEST_CASE]]),
        }
        return CompiledArtifact(content=content, version=content_hash(content), errors=self.errors)

    async def compile_flow(
        self,
        flow_row: BranchResource,
        docs: dict[str, list[BranchResource]],
        flow_names: set[str],
        entity_names: set[str],
    ) -> dict[str, Any]:
        flow = _clean(flow_row.data)
        base = f"flows/{flow.get('name')}"
        steps = [_clean(r.data) for r in docs[kinds.FLOW_STEP] if r.parent_id == flow_row.resource_id]
        functions = [_clean(r.data) for r in docs[kinds.FLOW_FUNCTION] if r.parent_id == flow_row.resource_id]
        step_names = {clean_name(str(s.get("name", ""))) for s in steps}

        start = flow.get("startStep")
        if not start:
            self.error(base, "The flow has no start step.")
        elif clean_name(str(start)) not in step_names:
            self.error(base, f"Start step '{start}' not found.")

        for step in steps:
            path = f"{base}/steps/{step.get('name')}"
            step_type = step.get("stepType")
            if step_type == "function":
                tree = self.parse(path, str(step.get("code", "")), step_entry_name(step), ("conv", "flow"))
                self.check_gotos(path, tree, flow_names, step_names)
                continue
            prompt = str(step.get("prompt", ""))
            prefixes = (
                _STEP_PREFIXES
                if step_type == "advanced"
                else tuple(p for p in _STEP_PREFIXES if p not in ("fn", "ft"))
            )
            await self.references(path, prompt, prefixes, flow_id=flow_row.resource_id)
            for entity in step.get("extractedEntities") or []:
                if clean_name(str(entity)) not in entity_names:
                    self.error(path, f"Extracted entity '{entity}' not found.")
            for condition in step.get("conditions") or []:
                child = condition.get("childStep")
                if child and clean_name(str(child)) not in step_names:
                    self.error(path, f"Condition '{condition.get('name')}': step '{child}' not found.")
                for entity in condition.get("requiredEntities") or []:
                    if clean_name(str(entity)) not in entity_names:
                        self.error(
                            path,
                            f"Condition '{condition.get('name')}': required entity '{entity}' not found.",
                        )

        for function in functions:
            path = f"{base}/functions/{function.get('name')}"
            tree = self.parse(
                path, str(function.get("code", "")), str(function.get("name", "")), ("conv", "flow")
            )
            self.check_gotos(path, tree, flow_names, step_names)

        return {**flow, "steps": _by_name(steps), "functions": _by_name(functions)}

    def check_gotos(
        self, path: str, tree: ast.Module | None, flow_names: set[str], step_names: set[str] | None
    ) -> None:
        """`goto_flow('X')` and `goto_step('Y')` with literal names must name real flows and steps."""
        if tree is None:
            return
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.args):
                continue
            target = node.args[0]
            if not (isinstance(target, ast.Constant) and isinstance(target.value, str)):
                continue
            if node.func.attr == "goto_flow" and clean_name(target.value) not in flow_names:
                self.error(
                    path, f"goto_flow('{target.value}') names a flow that does not exist.", line=node.lineno
                )
            if (
                node.func.attr == "goto_step"
                and step_names is not None
                and clean_name(target.value) not in step_names
            ):
                self.error(
                    path, f"goto_step('{target.value}') names a step that does not exist.", line=node.lineno
                )


async def compile_branch(session: AsyncSession, agent: Agent, branch: Branch) -> CompiledArtifact:
    return await _Compiler(session, branch).run(agent)
