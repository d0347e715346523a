"""The OpenAPI spec is a contract: every field and parameter described, every error status a
route can answer documented in the real error shape, and one valid example per route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from api.app import create_app
from api.openapi import ErrorResponse
from api.settings import Settings

Spec = dict[str, Any]
ERROR_REF = "#/components/schemas/ErrorResponse"


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> FastAPI:
    return create_app(Settings(data_dir=tmp_path_factory.mktemp("openapi")))


@pytest.fixture(scope="module")
def spec(app: FastAPI) -> Spec:
    return app.openapi()


def operations(spec: Spec) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation


def api_routes(routes: list[Any]) -> Iterator[APIRoute]:
    """Every APIRoute, through the routers the app includes."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        elif hasattr(route, "original_router"):
            yield from api_routes(route.original_router.routes)


def route_of(app: FastAPI, method: str, path: str) -> APIRoute:
    for route in api_routes(app.routes):
        if route.path == path and method.upper() in (route.methods or set()):
            return route
    raise AssertionError(f"no route for {method.upper()} {path}")


def resolve(spec: Spec, schema: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        resolved: dict[str, Any] = spec["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        return resolved
    return schema


def media_examples(spec: Spec, media: dict[str, Any]) -> list[Any]:
    """The examples of one media type: its own, or its schema's."""
    found = []
    if "example" in media:
        found.append(media["example"])
    found += [e["value"] for e in media.get("examples", {}).values()]
    found += resolve(spec, media.get("schema", {})).get("examples", [])
    return found


def request_examples(spec: Spec, operation: dict[str, Any]) -> list[Any]:
    body = operation.get("requestBody", {}).get("content", {}).get("application/json")
    return media_examples(spec, body) if body is not None else []


def response_examples(spec: Spec, operation: dict[str, Any]) -> dict[str, list[Any]]:
    """Per status: the examples of its JSON content."""
    return {
        status: media_examples(spec, response["content"]["application/json"])
        for status, response in operation["responses"].items()
        if "application/json" in response.get("content", {})
    }


# -- descriptions -------------------------------------------------------------------------------


def test_every_schema_property_is_described(spec: Spec) -> None:
    schemas = spec["components"]["schemas"]
    assert len(schemas) > 50  # the real spec, not an empty one
    undescribed = [
        f"{name}.{prop}"
        for name, schema in schemas.items()
        for prop, node in schema.get("properties", {}).items()
        if not str(node.get("description", "")).strip()
    ]
    assert not undescribed, f"properties without a description: {', '.join(undescribed)}"


def test_every_parameter_is_described(spec: Spec) -> None:
    undescribed = [
        f"{method.upper()} {path}: {param['in']} {param['name']}"
        for method, path, operation in operations(spec)
        for param in operation.get("parameters", [])
        if not str(param.get("description", "")).strip()
    ]
    assert not undescribed, f"parameters without a description: {', '.join(undescribed)}"


# -- error statuses -----------------------------------------------------------------------------

V1 = {401, 403, 422, 429}
BODY = {413}

ERRORS: list[tuple[str, str, set[int]]] = [
    ("post", "/v1/decide", V1 | BODY | {404, 409}),
    ("post", "/v1/briefings", V1 | BODY | {404, 409}),
    ("get", "/v1/decisions", V1 | {400}),
    ("get", "/v1/decisions/{decision_id}", V1 | {404, 410}),
    ("post", "/v1/decisions/{decision_id}/outcomes", V1 | BODY | {404, 409}),
    ("post", "/v1/outcomes", V1 | BODY),
    ("get", "/v1/kpis", V1),
    ("get", "/v1/customers", V1 | {400}),
    ("get", "/v1/customers/{customer_id}", V1 | {404}),
    ("put", "/v1/customers/{customer_id}", V1 | BODY),
    ("post", "/v1/customers/{customer_id}/events", V1 | BODY | {404}),
    ("delete", "/v1/customers/{customer_id}", V1 | {404}),
    ("get", "/v1/playbooks", V1),
    ("post", "/v1/playbooks", V1 | BODY),
    ("post", "/v1/decisions/{decision_id}/reviews", V1 | BODY | {404, 410}),
    ("get", "/v1/reviews", V1 | {400}),
    ("get", "/v1/approvals", V1 | {400}),
    ("get", "/v1/approvals/{approval_id}", V1 | {404, 410}),
    ("post", "/v1/approvals/{approval_id}/approve", V1 | BODY | {404, 409, 410}),
    ("post", "/v1/approvals/{approval_id}/reject", V1 | BODY | {404, 409, 410}),
    ("get", "/v1/audit/verify", V1),
    ("get", "/v1/audit/checkpoint", V1 | {404}),
    ("get", "/healthz", {422}),
    ("get", "/readyz", {422}),
    ("get", "/metrics", {422}),
]
"""What each route can answer besides success: 401 with API keys configured, 403 for a role the
route is not for and 429 over the rate limit (/v1 only), 422 for bad input or an unknown query
parameter, 400 for a bad cursor, 404 for an unknown id, 409 for a reused Idempotency-Key or
outcome or an inline profile posing as a stored customer, 413 for a body over the limit."""


def test_the_table_covers_every_operation(spec: Spec) -> None:
    documented = {(method, path) for method, path, _ in operations(spec)}
    assert documented == {(method, path) for method, path, _ in ERRORS}


@pytest.mark.parametrize(
    ("method", "path", "statuses"),
    [pytest.param(m, p, s, id=f"{m.upper()} {p}") for m, p, s in ERRORS],
)
def test_error_statuses_are_documented_in_the_error_shape(
    spec: Spec, method: str, path: str, statuses: set[int]
) -> None:
    responses = spec["paths"][path][method]["responses"]
    documented = {int(status) for status in responses if 400 <= int(status) < 500}
    assert documented == statuses
    for status in statuses:
        media = responses[str(status)]["content"]["application/json"]
        assert media["schema"] == {"$ref": ERROR_REF}, status
        assert media["example"]["error"]["code"], status


def test_readiness_documents_200_and_503_with_its_own_model(spec: Spec) -> None:
    responses = spec["paths"]["/readyz"]["get"]["responses"]
    for status in ("200", "503"):
        schema = responses[status]["content"]["application/json"]["schema"]
        assert schema == {"$ref": "#/components/schemas/Readiness"}, status
    assert {"ready", "checks"} <= set(spec["components"]["schemas"]["Readiness"]["properties"])


def test_fastapi_default_validation_error_is_gone(spec: Spec) -> None:
    assert "HTTPValidationError" not in spec["components"]["schemas"]
    assert "ValidationError" not in spec["components"]["schemas"]
    assert "HTTPValidationError" not in json.dumps(spec)


# -- examples -----------------------------------------------------------------------------------


def test_every_operation_has_an_example(spec: Spec) -> None:
    missing = [
        f"{method.upper()} {path}"
        for method, path, operation in operations(spec)
        if not request_examples(spec, operation)
        and not any(
            examples
            for status, examples in response_examples(spec, operation).items()
            if int(status) < 400
        )
        and not any(
            "example" in response.get("content", {}).get("text/plain", {})
            for status, response in operation["responses"].items()
            if int(status) < 400
        )
    ]
    assert not missing, f"operations without an example: {', '.join(missing)}"


def test_every_request_body_example_validates(app: FastAPI, spec: Spec) -> None:
    checked = 0
    for method, path, operation in operations(spec):
        if "requestBody" not in operation:
            continue
        route = route_of(app, method, path)
        assert route.body_field is not None
        model = route.body_field.field_info.annotation
        assert model is not None
        adapter: TypeAdapter[Any] = TypeAdapter(model)
        examples = request_examples(spec, operation)
        assert examples, f"{method.upper()} {path} has a body but no example"
        for example in examples:
            adapter.validate_python(example)
            checked += 1
    assert checked >= 6


def test_every_response_example_validates(app: FastAPI, spec: Spec) -> None:
    checked = 0
    for method, path, operation in operations(spec):
        route = route_of(app, method, path)
        for status, examples in response_examples(spec, operation).items():
            declared = route.responses.get(int(status), {}).get("model")
            if declared is None and int(status) >= 400:  # a text route's errors
                declared = ErrorResponse
            model = declared or route.response_model
            assert model is not None, f"{method.upper()} {path} {status}"
            for example in examples:
                TypeAdapter(model).validate_python(example)
                checked += 1
    assert checked >= 14
