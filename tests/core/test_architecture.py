"""Rules about the code that a test can hold: dependencies never block the event loop."""

from __future__ import annotations

import inspect
from typing import Any

from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute


def _calls(dependant: Any) -> list[Any]:
    found = []
    for dep in dependant.dependencies:
        found.append(dep.call)
        found.extend(_calls(dep))
    return found


def test_every_route_dependency_is_async(app: FastAPI) -> None:
    """A plain `def` dependency makes FastAPI hop to a thread pool on every request (measured:
    a third of the cost of `GET /me`). Dependencies here only read app state, so they are
    `async def`."""
    offenders = set()
    for route in app.routes:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            for call in _calls(route.dependant):
                module = getattr(call, "__module__", "") or ""
                if module.startswith("hutong") and not inspect.iscoroutinefunction(call):
                    offenders.add(f"{module}.{call.__qualname__}")
    assert not offenders, sorted(offenders)
