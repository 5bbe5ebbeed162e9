from __future__ import annotations

import re

from django.test import Client
from openapi_spec_validator import validate
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError


def test_openapi_schema_lists_all_resources(db):
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert schema["info"]["title"] == "Keepwarm API"
    paths = schema["paths"]
    for resource in ("people", "companies", "placements", "touchpoints"):
        assert set(paths[f"/api/v1/{resource}"]) == {"get", "post"}
        assert set(paths[f"/api/v1/{resource}/{{id}}"]) == {"get", "patch"}
    assert "BearerToken" in schema["components"]["securitySchemes"]


def test_each_kind_of_choice_keeps_its_own_values_in_the_schema(db):
    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]

    placement_kind = schema["PlacementOut"]["properties"]["kind"]["enum"]
    touchpoint_kind = schema["TouchpointOut"]["properties"]["kind"]["enum"]
    assert placement_kind == ["permanent", "contract"]
    assert "call" in touchpoint_kind


def test_docs_page_loads_nothing_from_another_site(db):
    page = Client().get("/api/v1/docs")

    assert page.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', page.content.decode())
    assert sources
    assert all(source.startswith("/api/v1/docs/assets/") for source in sources)
    for source in sources:
        asset = Client().get(source)
        assert asset.status_code == 200
        assert asset.getvalue()
        asset.close()


def test_unknown_docs_asset_is_404(db):
    assert Client().get("/api/v1/docs/assets/settings.py").status_code == 404


def test_openapi_schema_passes_the_openapi_specification_validator(db):
    schema = Client().get("/api/v1/openapi.json").json()
    try:
        validate(schema)
    except OpenAPIValidationError as error:
        raise AssertionError(f"{error.message} at {'/'.join(map(str, error.path))}") from None


def test_a_patch_field_states_no_default_its_own_schema_refuses(db):
    schema = Client().get("/api/v1/openapi.json").json()["components"]["schemas"]

    first_name = schema["PersonPatch"]["properties"]["first_name"]
    assert first_name["minLength"] == 1
    assert "default" not in first_name
    # A default that is valid stays: clients read it as what leaving the field out means.
    assert schema["PersonPatch"]["properties"]["phone"]["default"] == ""
