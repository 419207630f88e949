"""The OpenAPI schema tells the truth about errors: a drf-spectacular postprocessing hook documents,
on every operation, the problem+json responses (RFC 9457) it can answer, all with one `Problem`
component whose description lists the `type`s.

Which statuses an operation can answer follows from how its view is built, not from a list kept
by hand: every operation may answer 503 (the database is unreachable, core.problems); 429 where
the view is throttled; 401 and 403 where it authenticates (a refused token, a missing session, a
failed CSRF check) or needs a permission; 404 where the path names something or a cursor names
a page; 400 where it reads a query string or a body (400 invalid fields or a malformed body, 422
a value a domain rule refuses); and an operation that changes state 415 (a body in another media
type) and 409 (the state refuses it now). tests/fuzz holds the schema to this with schemathesis.
"""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiSerializerExtension
from rest_framework.permissions import AllowAny

from core.errors import CodedError
from core.problems import _DRF_CODES, CONTENT_TYPE

COMPONENT = "Problem"
UNSAFE = {"post", "put", "patch", "delete"}
DESCRIPTIONS = {
    "400": "The request has invalid fields (`errors` names them) or a malformed body.",
    "401": "The API token is missing, expired or revoked.",
    "403": "Not signed in, not allowed, no two-factor session, or a failed CSRF check.",
    "404": "There is nothing at this address, or nothing you may see.",
    "409": "The current state refuses the request; it may succeed later, or was already done.",
    "415": "The body is not in a media type this operation reads.",
    "422": "The request can never succeed as it is (a domain rule refuses it).",
    "429": "Too many requests; wait as long as `Retry-After` says.",
    "503": "The service is briefly unavailable; nothing was changed. Retry after `Retry-After`.",
}
# Problems raised outside DRF's handler (core.problems) or by the throttles and middleware.
OTHER_TYPES = ("not-found", "permission-denied", "service-unavailable", "server-error")


class StrictSerializerExtension(OpenApiSerializerExtension):
    """A StrictSerializer refuses fields it does not know: its schema says so
    (`additionalProperties: false`), so a body valid by the schema is one the API accepts."""

    target_class = "accounts.api_me.StrictSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)
        schema["additionalProperties"] = False
        return schema


def _codes(base: type) -> set[str]:
    code = getattr(base, "code", None)
    found = {code} if isinstance(code, str) else set()
    subclasses: list[type] = base.__subclasses__()
    for sub in subclasses:
        found |= _codes(sub)
    return found


def problem_types() -> list[str]:
    """Every problem `type` the API can answer, as `/problems/<code>`."""
    codes = set(_DRF_CODES.values()) | set(OTHER_TYPES)
    codes |= _codes(CodedError)
    return [f"/problems/{code}" for code in sorted(codes)]


def _component() -> dict[str, Any]:
    types = ", ".join(f"`{t}`" for t in problem_types())
    return {
        "type": "object",
        "description": (
            "An error, as RFC 9457 problem details (`application/problem+json`). `type` is "
            f"stable and one of: {types}."
        ),
        "properties": {
            "type": {"type": "string", "description": "`/problems/<code>`, stable."},
            "title": {"type": "string", "description": "A sentence for people."},
            "status": {"type": "integer", "description": "The HTTP status."},
            "detail": {"type": "string"},
            "errors": {
                "type": "object",
                "description": "Per field, what is wrong with it.",
                "additionalProperties": True,
            },
            "request_id": {
                "type": "string",
                "description": "The same as the X-Request-ID header and the log lines.",
            },
        },
        "required": ["type", "title", "status"],
        "additionalProperties": True,
    }


def _view_classes(generator: Any) -> dict[tuple[str, str], type]:
    views: dict[tuple[str, str], type] = {}
    for path, _regex, method, callback in generator.endpoints or ():
        view = getattr(callback, "cls", None)
        if view is not None:
            views[(path, method.lower())] = view
    return views


def _statuses(method: str, operation: dict[str, Any], view: type | None) -> list[str]:
    statuses = {"503"}
    if view is not None:
        if view.throttle_classes:  # type: ignore[attr-defined]
            statuses.add("429")
        authenticates = bool(view.authentication_classes)  # type: ignore[attr-defined]
        permissions = view.permission_classes  # type: ignore[attr-defined]
        guarded = any(not issubclass(p, AllowAny) for p in permissions if isinstance(p, type))
        if authenticates:
            statuses.add("401")
        if authenticates or guarded or "get_permissions" in vars(view):
            statuses.add("403")
    parameters = operation.get("parameters", [])
    # A path that names something, or a list's cursor (core.api.KeysetPage), may name nothing.
    if any(p.get("in") == "path" or p.get("name") == "cursor" for p in parameters):
        statuses.add("404")
    body = "requestBody" in operation
    if body or any(p.get("in") == "query" for p in parameters):
        statuses |= {"400", "422"}
    if method in UNSAFE:
        statuses |= {"400", "404", "409", "415", "422"}
    return sorted(statuses)


def problem_responses(
    result: dict[str, Any], generator: Any, request: Any, public: bool
) -> dict[str, Any]:
    """POSTPROCESSING_HOOKS: add the `Problem` component and, on each operation, the problem
    responses it can answer (a status the view documents itself is left as it is)."""
    result.setdefault("components", {}).setdefault("schemas", {})[COMPONENT] = _component()
    reference = {"$ref": f"#/components/schemas/{COMPONENT}"}
    views = _view_classes(generator)
    for path, operations in result.get("paths", {}).items():
        for method, operation in operations.items():
            responses = operation.setdefault("responses", {})
            for code in _statuses(method, operation, views.get((path, method))):
                responses.setdefault(
                    code,
                    {
                        "description": DESCRIPTIONS[code],
                        "content": {CONTENT_TYPE: {"schema": reference}},
                    },
                )
    return result
