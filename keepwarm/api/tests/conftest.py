from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from keepwarm.accounts.models import ApiToken, User
from keepwarm.care.models import CarePlan, Kind, PlanStep


class Api:
    """An API caller holding one user's personal token."""

    def __init__(self, user: User) -> None:
        self.user = user
        self.client = Client()
        _, self.token = ApiToken.issue(user=user, name="tests")
        self.headers = {"Authorization": f"Bearer {self.token}"}

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, headers=self.headers)

    def post(self, path: str, body: Any) -> Any:
        return self.client.post(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch(
            f"/api/v1{path}",
            json.dumps(body),
            content_type="application/json",
            headers=self.headers,
        )


@pytest.fixture
def api_as(db: None) -> Any:
    return Api


@pytest.fixture
def plan(db: None) -> CarePlan:
    """A small plan: a call two days before the start and a check-in email in week one."""
    plan = CarePlan.objects.create(name="API test plan")
    PlanStep.objects.create(
        plan=plan, order=1, title="Call before start", kind=Kind.CALL, offset_days=-2
    )
    PlanStep.objects.create(
        plan=plan,
        order=2,
        title="Week one check-in",
        kind=Kind.EMAIL,
        offset_days=7,
        email_subject="How is week one?",
        email_body="Hi {{ first_name }}",
    )
    return plan
