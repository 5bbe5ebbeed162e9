import gc
from typing import Any

import pytest
from django.template.base import Template
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast
from keepwarm.lib.warm import warm_up


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Names of the templates compiled from here on."""
    names: list[str] = []
    compile_nodelist = Template.compile_nodelist

    def recording(template: Template) -> Any:
        names.append(template.name or "<string>")
        return compile_nodelist(template)

    monkeypatch.setattr(Template, "compile_nodelist", recording)
    return names


def test_a_warmed_worker_compiles_no_template_when_a_consultant_opens_their_pages(
    cast: Cast, client: Client, compiled: list[str]
) -> None:
    assert warm_up() > 200  # every template of every installed app
    compiled.clear()
    client.force_login(cast.owner)
    for url in (
        reverse("today"),
        reverse("person", args=[cast.candidate.pk]),
        reverse("placement", args=[cast.placement.pk]),
        reverse("company", args=[cast.company.pk]),
        reverse("people"),
    ):
        assert client.get(url).status_code == 200, url
    assert compiled == []


def test_warming_up_twice_compiles_nothing_new(compiled: list[str]) -> None:
    warm_up()
    compiled.clear()
    warm_up()
    assert compiled == []


def test_what_a_warmed_worker_holds_is_left_out_of_garbage_collection() -> None:
    # A full collection walked every module, URL pattern and template the worker had
    # loaded (~130 ms) inside whichever request set it off.
    warm_up()
    assert gc.get_freeze_count() > 100_000
