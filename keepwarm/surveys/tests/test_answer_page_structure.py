"""The answer page keeps each questionnaire's questions and page per process: an edit shows
at once, each link shows its own heading, and every kind of question keeps its label or
legend and its error references."""

from __future__ import annotations

from html.parser import HTMLParser

import psycopg
import pytest
from django.db import close_old_connections, connection
from django.test import Client
from django.urls import reverse

from keepwarm.conftest import Cast, set_agency
from keepwarm.surveys.models import Invitation, Question
from keepwarm.surveys.tests.conftest import Asked, link


class Page(HTMLParser):
    """The answer page's inputs, labels, legends and ids, as a screen reader finds them."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.ids: set[str] = set()
        self.labelled: set[str] = set()  # ids a <label for> names
        self.inputs: dict[str, list[dict[str, str]]] = {}  # by name
        self.legends: list[str] = []
        self.described_by: list[str] = []
        self._in_legend = False
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: v or "" for k, v in attrs}
        if "id" in found:
            self.ids.add(found["id"])
        if tag == "label" and "for" in found:
            self.labelled.add(found["for"])
        if tag in ("input", "textarea") and found.get("name", "").startswith("q_"):
            self.inputs.setdefault(found["name"], []).append(found)
        if "aria-describedby" in found:
            self.described_by.extend(found["aria-describedby"].split())
        if tag == "legend":
            self._in_legend = True
            self.legends.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "legend":
            self._in_legend = False

    def handle_data(self, data: str) -> None:
        if self._in_legend:
            self.legends[-1] += data


def _ask_every_kind(asked: Asked) -> dict[str, Question]:
    questionnaire = asked.questionnaire
    extra = {
        "choice": Question.objects.create(
            questionnaire=questionnaire,
            order=60,
            code="contract",
            kind="choice",
            label="Which contract did you sign?",
            choices=[{"value": "perm", "label": "Permanent"}, {"value": "temp", "label": "Temp"}],
            number_label="Hours a week",
        ),
        "multi_choice": Question.objects.create(
            questionnaire=questionnaire,
            order=70,
            code="perks",
            kind="multi_choice",
            label="Which perks do you use?",
            help="Tick any.",
            choices=[{"value": "gym", "label": "Gym"}, {"value": "car", "label": "Car"}],
            required=False,
        ),
    }
    return {
        "rating": asked.satisfaction,
        "yes_no": asked.expectations,
        "text": asked.concerns,
        "nps": asked.nps,
        **extra,
    }


def test_every_kind_of_question_keeps_its_label_or_legend(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    questions = _ask_every_kind(asked)
    page = Page(client.get(link(invitation)).text)

    text = questions.pop("text")
    (box,) = page.inputs[f"q_{text.pk}"]
    assert box["id"] in page.labelled
    for kind, question in questions.items():
        assert question.label in " ".join(page.legends), kind
        options = page.inputs[f"q_{question.pk}"]
        assert all(option["id"] in page.labelled for option in options), kind
        assert len({option["id"] for option in options}) == len(options), kind
    assert len(page.inputs[f"q_{questions['nps'].pk}"]) == 11
    assert [o["type"] for o in page.inputs[f"q_{questions['multi_choice'].pk}"]] == [
        "checkbox",
        "checkbox",
    ]
    (hours,) = page.inputs[f"q_{questions['choice'].pk}_number"]
    assert hours["type"] == "number" and hours["id"] in page.labelled
    assert set(page.described_by) <= page.ids


def test_errors_are_announced_on_each_kind_and_what_was_typed_stays(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    questions = _ask_every_kind(asked)
    contract = questions["choice"]
    sent = client.post(
        link(invitation),
        {
            f"q_{asked.expectations.pk}": "no",
            f"q_{asked.concerns.pk}": "Parking <again>",
            f"q_{contract.pk}_number": "lots",
            f"q_{questions['multi_choice'].pk}": ["gym", "car"],
        },
    )
    assert sent.status_code == 200
    page = Page(sent.text)
    # Every aria-describedby names an element on the page: the help and the errors.
    assert set(page.described_by) <= page.ids
    for question in (asked.satisfaction, asked.nps, asked.detail, contract):
        assert f"id_q_{question.pk}_errors" in page.described_by
    assert f"id_q_{contract.pk}_number_errors" in page.described_by
    (hours,) = page.inputs[f"q_{contract.pk}_number"]
    assert hours["value"] == "lots" and hours["aria-invalid"] == "true"
    assert "Parking &lt;again&gt;</textarea>" in sent.text
    ticked = [o for o in page.inputs[f"q_{questions['multi_choice'].pk}"] if "checked" in o]
    assert len(ticked) == 2
    (said_no,) = [o for o in page.inputs[f"q_{asked.expectations.pk}"] if "checked" in o]
    assert said_no["value"] == "no"


def test_an_admins_edit_shows_on_the_next_open_of_the_link(
    client: Client, cast: Cast, invitation: Invitation, asked: Asked
) -> None:
    path = link(invitation)
    assert "How happy are you with the job?" in client.get(path).text

    admin = Client()
    admin.force_login(cast.admin)
    edited = admin.post(
        reverse("question_edit", args=[asked.satisfaction.pk]),
        {"order": 10, "kind": "rating", "label": "How do you like the job?", "required": "on"},
    )
    assert edited.status_code == 302
    page = client.get(path).text
    assert "How do you like the job?" in page
    assert "How happy are you with the job?" not in page

    admin.post(reverse("question_delete", args=[asked.nps.pk]))
    assert "How likely are you to recommend us?" not in client.get(path).text


def test_a_change_written_elsewhere_shows_at_once(
    client: Client, invitation: Invitation, asked: Asked
) -> None:
    # Another process (a web worker, the API, a script) changes the questions: this
    # process's kept page is for an older version and is not used.
    path = link(invitation)
    assert "Anything I can help with?" in client.get(path).text

    Question.objects.filter(pk=asked.concerns.pk).update(label="Anything else?")
    assert "Anything else?" in client.get(path).text

    Question.objects.create(
        questionnaire=asked.questionnaire, order=90, code="extra", kind="text", label="And?"
    )
    assert "And?" in client.get(path).text

    asked.questionnaire.intro = "Three minutes, promise."
    asked.questionnaire.save()
    assert "Three minutes, promise." in client.get(path).text


def test_each_link_shows_its_own_heading_on_the_kept_page(
    client: Client, cast: Cast, invitation: Invitation, harrys_invitation: Invitation
) -> None:
    # The page is kept per questionnaire: only the heading is the link's own, and the
    # next person's link must not show the first person's.
    priyas = client.get(link(invitation)).text
    harrys = client.get(link(harrys_invitation)).text

    assert f"From {cast.owner.display_name} · about your role as " in priyas
    assert f"From {cast.owner.display_name} · about {cast.candidate.first_name}" in harrys
    assert "your role as" not in harrys
    assert priyas.count("<h1>") == harrys.count("<h1>") == 1
    assert priyas.rstrip().endswith("</html>")


def test_the_agencys_new_name_shows_on_the_next_open_of_a_link(
    client: Client, invitation: Invitation
) -> None:
    path = link(invitation)
    client.get(path)
    set_agency(name="Brightside <Recruitment>")
    assert "Brightside &lt;Recruitment&gt;" in client.get(path).text


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)  # it closes the connection
def test_the_links_query_is_planned_once_per_connection_on_postgresql(
    client: Client, cast: Cast, invitation: Invitation, asked: Asked
) -> None:
    # Planning its join costs PostgreSQL ten times what running it does, on every open
    # of every link if it is not prepared.
    for _ in range(3):
        assert client.get(link(invitation)).status_code == 200
    connection.close()  # a new connection prepares it again
    for _ in range(3):
        assert client.get(link(invitation)).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT generic_plans + custom_plans FROM pg_prepared_statements"
            " WHERE statement LIKE %s",
            ["%qn.asks_about_targets%"],
        )
        assert cursor.fetchall() == [(3,)]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's prepared statements")
@pytest.mark.django_db(transaction=True)  # it closes the connection
def test_behind_pgbouncer_the_links_query_is_not_prepared(
    client: Client, invitation: Invitation, monkeypatch: pytest.MonkeyPatch
) -> None:
    # In transaction mode the next transaction may run on a server connection that never
    # saw the statement: KEEPWARM_PGBOUNCER=on sends the query whole each time.
    connection.close()
    monkeypatch.setitem(connection.settings_dict, "DISABLE_SERVER_SIDE_CURSORS", True)
    assert client.get(link(invitation)).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM pg_prepared_statements")
        assert cursor.fetchone() == (0,)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a dropped PostgreSQL connection")
@pytest.mark.django_db(transaction=True)  # it closes the connection
def test_a_link_opens_after_the_database_dropped_the_connection(
    client: Client, invitation: Invitation
) -> None:
    # After a database restart (or an idle timeout) the kept connection is dead; the next
    # request checks it and reconnects instead of showing the placed person an error.
    assert client.get(link(invitation)).status_code == 200
    pid = connection.connection.info.backend_pid
    with psycopg.connect(**connection.get_connection_params()) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])
    close_old_connections()  # what Django does as each request starts
    assert client.get(link(invitation)).status_code == 200
