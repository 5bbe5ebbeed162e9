"""The schema states the error answers every operation can give, so clients (and the
schemathesis fuzz test) can rely on it: 401 without a valid token, 422 for a parameter or
body that does not validate, 404 where the path names an object, 400 for a body that is
not JSON at all. Added here once rather
than in each endpoint's `response=`, so new API modules are covered too.
"""

from __future__ import annotations

import re
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
        schema = add_error_responses(StrictOpenAPISchema(self, path_prefix))
        drop_defaults_outside_their_schema(schema)
        return schema


def drop_defaults_outside_their_schema(node: Any) -> None:
    """Remove every `default` the schema beside it refuses.

    A PATCH field's Python default ("" for `first_name`, whose minimum length is 1) stands
    for "not sent" and is never applied, and a filter's "" means "no filter"; stated in the
    schema, either tells clients a value the same schema rejects. Left out, the field reads
    as optional, which is what it is.
    """
    if isinstance(node, list):
        for item in node:
            drop_defaults_outside_their_schema(item)
        return
    if not isinstance(node, dict):
        return
    if "default" in node and not _allowed(node["default"], node):
        del node["default"]
    for value in node.values():
        drop_defaults_outside_their_schema(value)


def _allowed(value: Any, schema: dict[str, Any]) -> bool:
    """Whether `value` passes the plain keywords of `schema` (the ones defaults break)."""
    if "enum" in schema and value not in schema["enum"]:
        return False
    if isinstance(value, str):
        if len(value) < schema.get("minLength", 0):
            return False
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            return False
        if "pattern" in schema and not re.search(schema["pattern"], value):
            return False
    if isinstance(value, int | float) and not isinstance(value, bool):
        if "minimum" in schema and value < schema["minimum"]:
            return False
        if "maximum" in schema and value > schema["maximum"]:
            return False
    return True


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
