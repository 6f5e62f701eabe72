"""Public-spec paths that parley does not serve yet answer 501, never a bare 404."""

from __future__ import annotations

import json
import re
from importlib import resources

from fastapi import FastAPI, Request
from fastapi.routing import APIRoute

from parley.errors import NotImplementedYet

_PARAM = re.compile(r"\{[^}]+\}")


def _shape(path: str) -> str:
    return _PARAM.sub("{}", path)


def spec_operations() -> list[tuple[str, str]]:
    text = resources.files("parley.kit").joinpath("spec_paths.json").read_text()
    return [(row["method"], row["path"]) for row in json.loads(text)]


def install_not_implemented_routes(app: FastAPI) -> int:
    served = {
        (method, _shape(route.path))
        for route in app.routes
        if isinstance(route, APIRoute)
        for method in route.methods or ()
    }
    added = 0
    for method, path in spec_operations():
        if (method, _shape(path)) in served:
            continue

        async def not_implemented(request: Request) -> None:
            raise NotImplementedYet(
                f"{request.method} {request.scope.get('route').path} "  # type: ignore[union-attr]
                "is part of the public API but parley does not serve it yet."
            )

        app.add_api_route(path, not_implemented, methods=[method], include_in_schema=False)
        added += 1
    return added
