"""Property-based checks of the API against its own OpenAPI document (schemathesis, in-process ASGI).

Every operation gets a bounded number of generated requests; none may answer 5xx, and every response must
match the documented status codes, content types and schemas.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

pytest.register_assert_rewrite("index_fixture")

from index_fixture import ServiceIndex, make_settings, wait_ready  # noqa: E402

from app.service import create_app  # noqa: E402

pytest_plugins = ("index_fixture",)

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# schemathesis' lazy `from_fixture` loader does not work with pytest 9 (it writes Function._nodeid), so the
# schema is read from the app at import time: the app is created here with a placeholder index path that the
# fixture below points at the session's index before starting the app. The loader reads the path at start-up.
SETTINGS = make_settings(Path("index-not-built-yet"), generation_queue=64)
APP = create_app(SETTINGS)  # type: ignore[arg-type]


async def http_only(scope, receive, send) -> None:  # noqa: ANN001
    """The app for schemathesis: HTTP goes to APP; lifespan events are acknowledged and not forwarded.
    schemathesis starts and stops an ASGI app's lifespan around every test, which would reload the index and
    its worker threads per operation; the fixture below runs APP's lifespan once for the module instead."""
    if scope["type"] != "lifespan":
        await APP(scope, receive, send)
        return
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


schema = schemathesis.openapi.from_asgi("/openapi.json", http_only)


@pytest.fixture(scope="module", autouse=True)
def running_app(service_index: ServiceIndex) -> Iterator[object]:
    """The app with its lifespan running (index loaded, threads warm); schemathesis calls it over ASGI."""
    from fastapi.testclient import TestClient

    SETTINGS.index_dir = service_index.index  # type: ignore[attr-defined]
    with TestClient(APP) as c:
        wait_ready(c)
        yield APP


@schema.parametrize()
@settings(max_examples=40, deadline=None, derandomize=True, print_blob=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much,
                                 HealthCheck.function_scoped_fixture])
def test_api_conforms_to_its_openapi(case) -> None:  # noqa: ANN001
    case.call_and_validate(checks=CHECKS)
