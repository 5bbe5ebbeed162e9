"""Two people editing the same record: the second save is told, shown the change, loses nothing."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

pytestmark = pytest.mark.django_db


def _form_data(client: Client, url: str) -> dict[str, Any]:
    """What the browser would post back unchanged: every field as the page rendered it."""
    context = client.get(url).context
    data: dict[str, Any] = {}
    for name in ("form", "formset"):
        form = context.get(name)
        if form is None:
            continue
        forms = [form.management_form, *form.forms] if name == "formset" else [form]
        for each in forms:
            for field in each:
                value = field.value()
                if value is None:
                    continue
                data[field.html_name] = (
                    [str(v) for v in value] if isinstance(value, list) else value
                )
    return data


def test_a_stale_person_edit_is_shown_the_other_change_and_not_saved(cast: Cast) -> None:
    url = reverse("person_edit", args=[cast.candidate.pk])
    olivia, maggie = Client(), Client()
    olivia.force_login(cast.owner)
    maggie.force_login(cast.manager)
    olivias_form = _form_data(olivia, url)
    maggies_form = _form_data(maggie, url)

    assert olivia.post(url, {**olivias_form, "phone": "07700 900999"}).status_code == 302
    response = maggie.post(url, {**maggies_form, "headline": "Top biller"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "Changed while you were editing" in page
    assert "olivia_owner" in page and "+447700900999" in page
    assert 'value="Top biller"' in page  # Maggie's typing is still in the form
    saved = Person.objects.get(pk=cast.candidate.pk)
    assert saved.phone == "+447700900999" and saved.headline == ""


def test_saving_again_after_a_conflict_keeps_the_second_edit(cast: Cast) -> None:
    url = reverse("person_edit", args=[cast.candidate.pk])
    olivia, maggie = Client(), Client()
    olivia.force_login(cast.owner)
    maggie.force_login(cast.manager)
    stale = _form_data(maggie, url)
    olivia.post(url, {**_form_data(olivia, url), "phone": "07700 900999"})
    shown_again = maggie.post(url, {**stale, "headline": "Top biller"})

    resubmitted = {**stale, "headline": "Top biller"}
    resubmitted["version"] = shown_again.context["form"]["version"].value()
    assert maggie.post(url, resubmitted).status_code == 302

    saved = Person.objects.get(pk=cast.candidate.pk)
    assert saved.headline == "Top biller"


def test_edits_one_after_another_never_conflict(client: Client, cast: Cast) -> None:
    url = reverse("person_edit", args=[cast.candidate.pk])
    client.force_login(cast.owner)

    for headline in ("First", "Second", "Third"):
        assert (
            client.post(url, {**_form_data(client, url), "headline": headline}).status_code == 302
        )

    assert Person.objects.get(pk=cast.candidate.pk).version == 3


def test_a_stale_placement_edit_is_refused_with_the_other_change(cast: Cast) -> None:
    url = reverse("placement_edit", args=[cast.placement.pk])
    olivia, maggie = Client(), Client()
    olivia.force_login(cast.owner)
    maggie.force_login(cast.manager)
    olivias_form = _form_data(olivia, url)
    maggies_form = _form_data(maggie, url)

    first = olivia.post(url, {**olivias_form, "role_title": "Senior Account Manager"})
    assert first.status_code == 302, first.context["form"].errors
    response = maggie.post(url, {**maggies_form, "salary": "45000"})

    assert response.status_code == 200
    assert "Senior Account Manager" in response.content.decode()
    saved = Placement.objects.get(pk=cast.placement.pk)
    assert saved.role_title == "Senior Account Manager"
    assert saved.salary == 38000


def test_an_api_change_made_while_a_form_is_open_is_shown_as_a_conflict(cast: Cast) -> None:
    from keepwarm.accounts.models import ApiToken

    url = reverse("person_edit", args=[cast.candidate.pk])
    browser = Client()
    browser.force_login(cast.owner)
    stale = _form_data(browser, url)
    _, raw = ApiToken.issue(user=cast.manager)
    api = Client()
    patched = api.patch(
        f"/api/v1/people/{cast.candidate.pk}",
        data={"headline": "Set by the API"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert patched.status_code == 200, patched.content

    response = browser.post(url, {**stale, "phone": "07700 900555"})

    assert response.status_code == 200
    assert "Set by the API" in response.content.decode()


def test_a_form_open_while_the_api_moves_the_start_date_cannot_move_it_back(cast: Cast) -> None:
    from keepwarm.accounts.models import ApiToken

    url = reverse("placement_edit", args=[cast.placement.pk])
    browser = Client()
    browser.force_login(cast.manager)
    stale = _form_data(browser, url)
    _, raw = ApiToken.issue(user=cast.owner)
    moved = Client().patch(
        f"/api/v1/placements/{cast.placement.pk}",
        data={"start_date": "2026-03-09"},
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {raw}",
    )
    assert moved.status_code == 200, moved.content

    response = browser.post(url, {**stale, "benefits": "Gym"})

    assert response.status_code == 200
    saved = Placement.objects.get(pk=cast.placement.pk)
    assert (saved.start_date.isoformat(), saved.benefits) == ("2026-03-09", "")
