"""Random JSON bodies sent to the create and update endpoints never cause a server error."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

FIELDS = {
    "/people": ["first_name", "last_name", "email", "phone", "owner", "notes"],
    "/companies": ["name", "website", "guarantee_length", "guarantee_unit", "rebate_scale"],
    "/placements": [
        "person",
        "company",
        "hiring_manager",
        "owner",
        "kind",
        "role_title",
        "start_date",
        "end_date",
        "salary",
        "fee",
        "currency",
        "hours_per_week",
        "guarantee_length",
        "rebate_scale",
        "care_plan",
        "targets",
    ],
    "/touchpoints": [
        "person",
        "placement",
        "kind",
        "title",
        "due_on",
        "owner",
        "email_subject",
        "state",
        "outcome",
        "skip_reason",
        "next_action_on",
    ],
}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "2026-03-02",
            "9999-12-31",
            "0001-01-01",
            "GBP",
            "call",
            "email",
            "contract",
            "\x00",
            "olivia_owner",
            "done",
            "skipped",
            "reached",
            "1e400",
            "12345678901234.567",
            "x" * 300,
        ]
    )
)
values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=12), inner, max_size=3)
    ),
    max_leaves=8,
)


def bodies(path, ids):
    keyed = st.fixed_dictionaries(
        {},
        optional={field: st.one_of(values, st.sampled_from(ids)) for field in FIELDS[path]},
    )
    targets = st.lists(
        st.fixed_dictionaries(
            {}, optional={k: values for k in ("name", "target_value", "unit", "period")}
        ),
        max_size=2,
    )
    return st.one_of(
        keyed, keyed.flatmap(lambda b: targets.map(lambda t: {**b, "targets": t})), values
    )


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.data())
def test_create_endpoints_never_answer_500(cast, api_as, data):
    api = api_as(cast.owner)
    ids = [cast.candidate.pk, cast.client_contact.pk, cast.company.pk, cast.placement.pk]
    path = data.draw(st.sampled_from(sorted(FIELDS)))
    body = data.draw(bodies(path, ids))

    response = api.post(path, body)
    assert response.status_code in (201, 400, 422), (path, json.dumps(body), response.content)
    response = api.patch(f"{path}/{ids[0] if path != '/companies' else cast.company.pk}", body)
    assert response.status_code in (200, 400, 404, 409, 422), (path, body, response.content)
