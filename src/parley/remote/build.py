"""`parley build`: an agent's branches and the resources that live on a branch.

The CRUD resources (topics, flows, steps, ...) share one set of commands, built per resource from
``RESOURCES``. A ``--file`` body is the API's JSON (camelCase keys); ``_arguments`` maps it onto the
SDK method's keyword arguments, which the method's own signature lists, so a field the SDK gains
needs no change here.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, TypeVar

import typer

from parley.remote.connection import (
    DEFAULT_URL,
    AgentOption,
    KeyOption,
    UrlOption,
    connected,
    fail,
    print_json,
)
from parley.sdk._build import (
    AttributesAPI,
    EntitiesAPI,
    FlowFunctionsAPI,
    FlowsAPI,
    FunctionsAPI,
    HandoffsAPI,
    SmsTemplatesAPI,
    StepsAPI,
    TopicsAPI,
    VariantsAPI,
)

app = typer.Typer(
    help="Build an agent: branches, and what lives on a branch (main is read-only).", no_args_is_help=True
)
branches_app = typer.Typer(help="Branches of an agent.", no_args_is_help=True)
behavior_app = typer.Typer(help="The branch's behavior (rules) prompt.", no_args_is_help=True)
real_time_app = typer.Typer(
    help="Real-time configs: one per environment, not branched.", no_args_is_help=True
)
app.add_typer(branches_app, name="branches")
app.add_typer(behavior_app, name="behavior")

F = TypeVar("F", bound=Callable[..., Any])

ReadBranchOption = Annotated[str, typer.Option("--branch", "-b", help="Branch id, or main.")]
WriteBranchOption = Annotated[str, typer.Option("--branch", "-b", help="Branch id (main is read-only).")]
# Only steps and flow-functions have it; `_scoped` removes it from the other resources' commands.
FlowOption = Annotated[str | None, typer.Option("--flow", help="The flow's id.")]
IdArgument = Annotated[str, typer.Argument(metavar="ID", help="The resource's id.")]
FileOption = Annotated[
    Path, typer.Option("--file", "-f", help='JSON body (the API\'s camelCase fields); "-" reads stdin.')
]
Environment = Literal["sandbox", "pre-release", "live"]


# --- reading files ------------------------------------------------------------------------------


def _read_bytes(file: Path) -> bytes:
    try:
        return typer.get_binary_stream("stdin").read() if str(file) == "-" else file.read_bytes()
    except OSError as error:
        raise fail(f"cannot read {file}: {error.strerror or error}") from None


def _read_json(file: Path) -> Any:
    try:
        return json.loads(_read_bytes(file).decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise fail(f"{file} is not a JSON document: {error}") from None


def _read_object(file: Path) -> dict[str, Any]:
    document = _read_json(file)
    if not isinstance(document, dict):
        raise fail(f"{file} must hold a JSON object, not {type(document).__name__}")
    return document


def _emit(result: Any) -> None:
    """The server's JSON; nothing for a 204 (a delete, a topic update)."""
    if result is not None:
        print_json(result)


# --- branches and behavior ----------------------------------------------------------------------


@branches_app.command("list")
def branches_list(agent: AgentOption, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """The agent's branches, main first."""
    with connected(url, key) as client:
        print_json(client.branches.list(agent))


@branches_app.command("create")
def branches_create(
    name: Annotated[str, typer.Argument(help="The branch's name.")],
    agent: AgentOption,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """A new branch, a copy of main: prints {branchId, sequenceId}."""
    with connected(url, key) as client:
        print_json(client.branches.create(agent, name))


@branches_app.command("delete")
def branches_delete(
    branch: Annotated[str, typer.Argument(metavar="ID", help="The branch's id.")],
    agent: AgentOption,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Delete a branch (never main)."""
    with connected(url, key) as client:
        _emit(client.branches.delete(agent, branch))


@branches_app.command("merge")
def branches_merge(
    branch: Annotated[str, typer.Argument(metavar="ID", help="The branch's id.")],
    agent: AgentOption,
    resolutions: Annotated[
        Path | None,
        typer.Option(
            help='JSON list of {"path": [...], "strategy": "ours"|"theirs"|"base"}; "-" reads stdin.'
        ),
    ] = None,
    message: Annotated[str | None, typer.Option("--message", "-m", help="Deployment message.")] = None,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Merge into main, which is then published to sandbox."""
    settled = None
    if resolutions is not None:
        settled = _read_json(resolutions)
        if isinstance(settled, dict) and "conflictResolutions" in settled:
            settled = settled["conflictResolutions"]
        if not isinstance(settled, list) or not all(isinstance(item, dict) for item in settled):
            raise fail(f"{resolutions} must hold a JSON list of conflict resolutions (objects)")
    with connected(url, key) as client:
        print_json(
            client.branches.merge(agent, branch, conflict_resolutions=settled, deployment_message=message)
        )


@behavior_app.command("get")
def behavior_get(
    agent: AgentOption, branch: ReadBranchOption = "main", url: UrlOption = DEFAULT_URL, key: KeyOption = None
) -> None:
    """Print {behavior}."""
    with connected(url, key) as client:
        print_json(client.behavior.get(agent, branch))


@behavior_app.command("set")
def behavior_set(
    text: Annotated[str, typer.Argument(help='The new behavior; "-" reads stdin.')],
    agent: AgentOption,
    branch: WriteBranchOption,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Replace the branch's behavior."""
    if text == "-":
        text = typer.get_text_stream("stdin").read()
    with connected(url, key) as client:
        print_json(client.behavior.update(agent, branch, text))


# --- the CRUD resources -------------------------------------------------------------------------


@dataclass(frozen=True)
class Resource:
    """A branch-scoped resource: its CLI name, its SDK namespace (class and client attribute)."""

    name: str
    attribute: str
    api: type[Any]
    in_flow: bool = False
    # Fields the API wraps in an object ({"queries": [...]}) where the SDK takes the inner value;
    # a file may give either form.
    wrapped: Mapping[str, str] = field(default_factory=dict)
    label: str = ""  # in help texts, where the name does not do ("SMS templates")

    @property
    def scope_size(self) -> int:
        """How many leading arguments locate the collection: agent, branch (and flow)."""
        return 3 if self.in_flow else 2


RESOURCES = (
    Resource("topics", "topics", TopicsAPI, wrapped={"exampleQueries": "queries"}),
    Resource("flows", "flows", FlowsAPI),
    Resource("steps", "steps", StepsAPI, in_flow=True),
    Resource(
        "flow-functions", "flow_functions", FlowFunctionsAPI, in_flow=True, label="transition functions"
    ),
    Resource("functions", "functions", FunctionsAPI),
    Resource("entities", "entities", EntitiesAPI),
    Resource("handoffs", "handoffs", HandoffsAPI),
    Resource("sms-templates", "sms_templates", SmsTemplatesAPI, label="SMS templates"),
    Resource("attributes", "attributes", AttributesAPI),
    Resource("variants", "variants", VariantsAPI, wrapped={"attributeValues": "values"}),
)


def _camel(name: str) -> str:
    return re.sub(r"_([a-z])", lambda match: match.group(1).upper(), name)


def _arguments(resource: Resource, method: str, document: Mapping[str, Any], file: Path) -> dict[str, Any]:
    """The SDK keyword arguments for a JSON body: its fields are the method's parameters, in camelCase."""
    leading = resource.scope_size + (1 if method == "update" else 0)  # + the resource's id
    parameters = list(inspect.signature(getattr(resource.api, method)).parameters.values())[1 + leading :]
    fields = {_camel(p.name): p for p in parameters if p.name != "correlation_id"}
    unknown = [name for name in document if name not in fields]
    if unknown:
        raise fail(
            f"{file}: unknown field {', '.join(unknown)}; {resource.name} {method} takes {', '.join(fields)}"
        )
    missing = [name for name, p in fields.items() if p.default is p.empty and name not in document]
    if missing:
        raise fail(f"{file}: missing field {', '.join(missing)} ({resource.name} {method})")
    arguments = {}
    for name, value in document.items():
        inner = resource.wrapped.get(name)
        if inner is not None and isinstance(value, dict) and set(value) == {inner}:
            value = value[inner]
        arguments[fields[name].name] = value
    return arguments


def _scoped(command: F, in_flow: bool) -> F:
    """Make --flow required where the resource lives in a flow, and drop it everywhere else."""
    signature = inspect.signature(command, eval_str=True)
    parameters = [
        p.replace(default=inspect.Parameter.empty) if p.name == "flow" else p
        for p in signature.parameters.values()
        if in_flow or p.name != "flow"
    ]
    setattr(command, "__signature__", signature.replace(parameters=parameters))  # noqa: B010
    return command


def _resource_app(resource: Resource) -> typer.Typer:
    noun = resource.label or resource.name.replace("-", " ")
    parent = "flow" if resource.in_flow else "branch"
    sub = typer.Typer(help=f"{noun[:1].upper()}{noun[1:]} of a {parent}.", no_args_is_help=True)

    def scope(agent: str, branch: str, flow: str | None) -> tuple[str, ...]:
        return (agent, branch, flow or "") if resource.in_flow else (agent, branch)

    def register(name: str, command: Callable[..., None]) -> None:
        sub.command(name)(_scoped(command, resource.in_flow))

    def list_(
        agent: AgentOption,
        flow: FlowOption = None,
        branch: ReadBranchOption = "main",
        url: UrlOption = DEFAULT_URL,
        key: KeyOption = None,
    ) -> None:
        with connected(url, key) as client:
            print_json(getattr(client, resource.attribute).list(*scope(agent, branch, flow)))

    def get(
        id: IdArgument,
        agent: AgentOption,
        flow: FlowOption = None,
        branch: ReadBranchOption = "main",
        url: UrlOption = DEFAULT_URL,
        key: KeyOption = None,
    ) -> None:
        with connected(url, key) as client:
            print_json(getattr(client, resource.attribute).get(*scope(agent, branch, flow), id))

    def create(
        file: FileOption,
        agent: AgentOption,
        branch: WriteBranchOption,
        flow: FlowOption = None,
        url: UrlOption = DEFAULT_URL,
        key: KeyOption = None,
    ) -> None:
        arguments = _arguments(resource, "create", _read_object(file), file)
        with connected(url, key) as client:
            _emit(getattr(client, resource.attribute).create(*scope(agent, branch, flow), **arguments))

    def update(
        id: IdArgument,
        file: FileOption,
        agent: AgentOption,
        branch: WriteBranchOption,
        flow: FlowOption = None,
        url: UrlOption = DEFAULT_URL,
        key: KeyOption = None,
    ) -> None:
        arguments = _arguments(resource, "update", _read_object(file), file)
        with connected(url, key) as client:
            _emit(getattr(client, resource.attribute).update(*scope(agent, branch, flow), id, **arguments))

    def delete(
        id: IdArgument,
        agent: AgentOption,
        branch: WriteBranchOption,
        flow: FlowOption = None,
        url: UrlOption = DEFAULT_URL,
        key: KeyOption = None,
    ) -> None:
        with connected(url, key) as client:
            _emit(getattr(client, resource.attribute).delete(*scope(agent, branch, flow), id))

    list_.__doc__ = f"List the {noun}."
    get.__doc__ = f"Show one of the {noun}."
    create.__doc__ = f"Create one of the {noun} from a JSON body."
    update.__doc__ = "Change the fields a JSON body gives."
    delete.__doc__ = f"Delete one of the {noun}."
    register("list", list_)
    if hasattr(resource.api, "get"):  # attributes and variants have no single-item read
        register("get", get)
    register("create", create)
    register("update", update)
    register("delete", delete)
    return sub


_apps = {resource.name: _resource_app(resource) for resource in RESOURCES}
for _name, _sub in _apps.items():
    app.add_typer(_sub, name=_name)
app.add_typer(real_time_app, name="real-time-configs")


# --- topics as CSV ------------------------------------------------------------------------------


@_apps["topics"].command("import")
def topics_import(
    file: Annotated[Path, typer.Argument(metavar="CSV", help='The CSV file; "-" reads stdin.')],
    agent: AgentOption,
    branch: WriteBranchOption,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Create or update topics (matched by name) from CSV, all or nothing."""
    data = _read_bytes(file)
    with connected(url, key) as client:
        print_json(client.topics.import_csv(agent, branch, data))


@_apps["topics"].command("export")
def topics_export(
    agent: AgentOption, branch: ReadBranchOption = "main", url: UrlOption = DEFAULT_URL, key: KeyOption = None
) -> None:
    """Print the branch's topics as CSV, which `import` reads back unchanged."""
    with connected(url, key) as client:
        typer.echo(client.topics.export_csv(agent, branch), nl=False)


# --- real-time configs --------------------------------------------------------------------------

EnvironmentArgument = Annotated[
    Environment, typer.Argument(metavar="ENV", help="sandbox, pre-release or live.")
]
JsonFileArgument = Annotated[Path, typer.Argument(metavar="FILE", help='A JSON object; "-" reads stdin.')]


@real_time_app.command("list")
def real_time_list(agent: AgentOption, url: UrlOption = DEFAULT_URL, key: KeyOption = None) -> None:
    """Every environment's config page."""
    with connected(url, key) as client:
        print_json(client.real_time_configs.list(agent))


@real_time_app.command("get")
def real_time_get(
    environment: EnvironmentArgument, agent: AgentOption, url: UrlOption = DEFAULT_URL, key: KeyOption = None
) -> None:
    """One environment's {clientEnv, variables, schema}."""
    with connected(url, key) as client:
        print_json(client.real_time_configs.get(agent, environment))


@real_time_app.command("set-schema")
def real_time_set_schema(
    environment: EnvironmentArgument,
    file: JsonFileArgument,
    agent: AgentOption,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Replace the JSON Schema (refused if the current values would not satisfy it)."""
    schema = _read_object(file)
    with connected(url, key) as client:
        print_json(client.real_time_configs.put_schema(agent, environment, schema))


@real_time_app.command("set-variables")
def real_time_set_variables(
    environment: EnvironmentArgument,
    file: JsonFileArgument,
    agent: AgentOption,
    url: UrlOption = DEFAULT_URL,
    key: KeyOption = None,
) -> None:
    """Shallow-merge values (null removes a key), validated against the schema."""
    variables = _read_object(file)
    with connected(url, key) as client:
        print_json(client.real_time_configs.patch_variables(agent, environment, variables))
