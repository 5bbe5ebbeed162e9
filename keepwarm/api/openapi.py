"""The schema states the error answers every operation can give, so clients (and the
schemathesis fuzz test) can rely on it: 401 without a valid token, 422 for a parameter or
body that does not validate, 404 where the path names an object, 400 for a body that is
not JSON at all. Added here once rather
than in each endpoint's `response=`, so new API modules are covered too.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured
from ninja import NinjaAPI
from ninja.openapi.schema import OpenAPISchema

from keepwarm.api.schemas import ErrorOut

ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
ERRORS = {
    "400": "A body that is not JSON",
    "401": "No token, or a token that is not valid",
    "404": "Not found, or not yours to see",
    "422": "A parameter or field that does not validate",
}


def _error_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR_REF}}}


def add_error_responses(schema: dict[str, Any]) -> dict[str, Any]:
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    if "ErrorOut" not in components:
        error = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        for name, definition in error.pop("$defs", {}).items():
            components.setdefault(name, definition)
        components["ErrorOut"] = error
    for path, operations in schema.get("paths", {}).items():
        for operation in operations.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            responses = operation["responses"]
            for code, description in ERRORS.items():
                if code == "404" and "{" not in path:
                    continue
                if code == "400" and "requestBody" not in operation:
                    continue
                if code == "401" and not operation.get("security"):
                    continue
                if code not in responses and int(code) not in responses:
                    responses[int(code)] = _error_response(description)
    return schema


class KeepwarmAPI(NinjaAPI):
    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        if path_prefix is None:
            path_prefix = self.get_root_path(path_params or {})
        return add_error_responses(StrictOpenAPISchema(self, path_prefix))


class StrictOpenAPISchema(OpenAPISchema):
    """ninja merges every type's definition into one components list by name, silently
    keeping the last: two enums both called "State" made the touchpoint list's schema
    promise newsletter states. Refuse a second, different definition under one name."""

    def add_schema_definitions(self, definitions: dict[str, Any]) -> None:
        for name, definition in definitions.items():
            known = self.schemas.get(name)
            if known is not None and known != definition:
                raise ImproperlyConfigured(
                    f"Two API types are both called {name!r} in the OpenAPI schema; give one "
                    "another name or write its enum out inline (see keepwarm/api/schemas.py)."
                )
        super().add_schema_definitions(definitions)
