"""The Sent mail page: the outbox with states, safe previews and settling unknown sends."""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from keepwarm.accounts.models import User
from keepwarm.audit.models import AuditEntry
from keepwarm.care.models import Touchpoint
from keepwarm.care.services import set_cover
from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage, OutboxTemplate
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.tests.factories import at, make_checkin
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement
from keepwarm.worker.tick import tick

DUE = dt.date(2026, 3, 9)
MORNING = at("2026-03-09T09:05+00:00")


def logged_in(user: object) -> Client:
    client = Client()
    client.force_login(user)  # type: ignore[arg-type]
    return client


def message(person: Person | None, key: str, state: str, **fields: object) -> OutboxMessage:
    values: dict[str, object] = {
        "to_email": person.email if person else "someone@example.org",
        "from_email": "Olivia Owner <olivia_owner@agency.example>",
        "subject": f"How is week one going? ({key})",
        "body_text": "Hi Priya,\n\nHow are you finding it?",
        "state": state,
        "send_after": timezone.now() - dt.timedelta(hours=1),
    }
    values.update(fields)
    return OutboxMessage.objects.create(key=key, person=person, **values)


def test_sent_mail_lists_captured_messages(cast: Cast) -> None:
    message(cast.candidate, "touchpoint:1", OutboxMessage.State.CAPTURED)
    page = logged_in(cast.owner).get(reverse("sent_mail")).content.decode()
    assert "How is week one going? (touchpoint:1)" in page
    assert "Captured (not sent)" in page
    assert "badge-captured" in page


def test_sent_mail_filters_by_state(cast: Cast) -> None:
    message(cast.candidate, "a", OutboxMessage.State.FAILED, last_error="550 No such user")
    message(cast.candidate, "b", OutboxMessage.State.SENT)
    page = logged_in(cast.owner).get(reverse("sent_mail"), {"state": "failed"}).content.decode()
    assert "(a)" in page and "550 No such user" in page
    assert "(b)" not in page


def test_a_long_outbox_has_its_pager_above_the_messages_as_well_as_below(cast: Cast) -> None:
    # Fifty messages stack ~7,000 px tall on a phone: Next must not be only at the end.
    for n in range(55):
        message(cast.candidate, f"touchpoint:{n}", OutboxMessage.State.SENT)
    page = logged_in(cast.owner).get(reverse("sent_mail")).content.decode()
    above, below = page.split("<tbody>", 1)
    assert 'aria-label="Pages (above the list)"' in above and 'rel="next"' in above
    assert 'aria-label="Pages"' in below and 'rel="next"' in below
    short = logged_in(cast.owner).get(reverse("sent_mail"), {"state": "failed"}).content.decode()
    assert "Pages" not in short  # one page: no pager at all


def test_consultants_see_only_mail_to_people_they_can_see(cast: Cast) -> None:
    message(cast.candidate, "touchpoint:1", OutboxMessage.State.CAPTURED)
    mine = message(cast.candidate, "touchpoint:2", OutboxMessage.State.SENT)
    outsider = logged_in(cast.outsider)
    assert "touchpoint:1" not in outsider.get(reverse("sent_mail")).content.decode()
    assert outsider.get(reverse("sent_message", args=[mine.pk])).status_code == 404
    manager_page = logged_in(cast.manager).get(reverse("sent_mail")).content.decode()
    assert "touchpoint:1" in manager_page


def placed(cast: Cast, person: Person, manager: Person, owner: User) -> Placement:
    """`person` placed at Acme by `owner`, with `manager` as hiring manager."""
    return Placement.objects.create(
        person=person,
        company=cast.company,
        hiring_manager=manager,
        owner=owner,
        role_title="Analyst",
        start_date=cast.placement.start_date,
        salary=cast.placement.salary,
        fee=cast.placement.fee,
        hours_per_week=cast.placement.hours_per_week,
        guarantee_length=cast.placement.guarantee_length,
        rebate_scale=cast.placement.rebate_scale,
    )


def check_in(placement: Placement, person: Person) -> Touchpoint:
    return Touchpoint.objects.create(
        person=person,
        placement=placement,
        kind="checkin",
        title="Check-in",
        due_on=placement.start_date,
        owner=placement.owner,
    )


def test_a_consultant_sees_mail_to_people_they_own_cover_or_placed_and_no_one_else(
    cast: Cast,
) -> None:
    colin, oscar = cast.colleague, cast.outsider
    today = timezone.localdate()
    set_cover(absent=cast.owner, colleague=colin, starts_on=today, ends_on=today, by=cast.manager)
    people = {
        name: Person.objects.create(
            first_name=name, last_name="Mail", email=f"{name}@example.net", owner=owner
        )
        for name, owner in [("cara", colin), ("pete", oscar), ("hana", oscar), ("otto", oscar)]
    }
    colins = placed(cast, people["pete"], people["hana"], colin)
    oscars = placed(cast, people["otto"], people["hana"], oscar)
    message(people["cara"], "own", OutboxMessage.State.SENT)
    message(cast.candidate, "covered", OutboxMessage.State.SENT)
    message(people["pete"], "placed", OutboxMessage.State.SENT)
    message(people["hana"], "managing", OutboxMessage.State.SENT)
    message(
        people["hana"],
        "own-checkin",
        OutboxMessage.State.SENT,
        touchpoint=check_in(colins, people["hana"]),
    )
    message(
        people["hana"],
        "colleague-checkin",
        OutboxMessage.State.SENT,
        touchpoint=check_in(oscars, people["hana"]),
    )
    message(people["otto"], "not-mine", OutboxMessage.State.SENT)
    page = logged_in(colin).get(reverse("sent_mail")).content.decode()
    for key in ["own", "covered", "placed", "managing", "own-checkin"]:
        assert f"({key})" in page, key
    # A check-in about a colleague's placement stays theirs, even to a shared contact.
    assert "(colleague-checkin)" not in page
    assert "(not-mine)" not in page
    oscars_page = logged_in(oscar).get(reverse("sent_mail")).content.decode()
    for key in ["placed", "managing", "colleague-checkin", "not-mine"]:
        assert f"({key})" in oscars_page, key
    for key in ["own", "covered", "own-checkin"]:
        assert f"({key})" not in oscars_page, key


def test_mail_the_worker_and_a_questionnaire_queue_about_a_colleagues_placement_stays_theirs(
    cast: Cast,
) -> None:
    colin, oscar = cast.colleague, cast.outsider
    hana = Person.objects.create(
        first_name="Hana", last_name="Shared", email="hana@example.net", owner=oscar
    )
    pete = Person.objects.create(first_name="Pete", last_name="P", email="p@x.net", owner=colin)
    otto = Person.objects.create(first_name="Otto", last_name="O", email="o@x.net", owner=oscar)
    placed(cast, pete, hana, colin)  # Colin sees Hana: hiring manager on his placement
    oscars = placed(cast, otto, hana, oscar)
    checkin = make_checkin(cast, due_on=DUE, person=hana, placement=oscars, owner=oscar)
    tick(now=MORNING, worker_id="test")
    queue_email(
        key="invitation",
        to_email=hana.email,
        subject="Two minutes on how Otto is doing?",
        body_text="Hi Hana",
        from_email="keepwarm@127.0.0.1",
        send_after=MORNING,
        person=hana,
        touchpoint=check_in(oscars, hana),
    )
    queued = OutboxMessage.objects.filter(person=hana)
    assert {m.placement_id for m in queued} == {oscars.pk}
    assert queued.filter(touchpoint=checkin).exists()
    colins_page = logged_in(colin).get(reverse("sent_mail")).content.decode()
    oscars_page = logged_in(oscar).get(reverse("sent_mail")).content.decode()
    for subject in queued.values_list("subject", flat=True):
        assert escape(subject) not in colins_page
        assert escape(subject) in oscars_page


def test_message_html_is_shown_in_a_sandbox_never_in_the_page(cast: Cast) -> None:
    html = '<p>Hello</p><script>alert("x")</script>'
    found = message(cast.candidate, "k", OutboxMessage.State.CAPTURED, body_html=html)
    page = logged_in(cast.owner).get(reverse("sent_message", args=[found.pk])).content.decode()
    assert '<script>alert("x")</script>' not in page
    assert 'sandbox srcdoc="&lt;p&gt;Hello&lt;/p&gt;&lt;script&gt;' in page
    assert "How are you finding it?" in page


def test_a_copy_of_a_shared_body_shows_as_sent_with_its_own_values(cast: Cast) -> None:
    template = OutboxTemplate.objects.create(
        key="newsletter:1:abc",
        body_text="Hi %%KW_FIRST_NAME%%,\n\nJune news. %%KW_OTHER%% stays.",
        body_html="<p>Hi %%KW_FIRST_NAME%%,</p>",
        fields=["first_name"],
    )
    copy = message(
        cast.candidate, "n", OutboxMessage.State.SENT, body_text="", template=template,
        fills={"first_name": "Priya & Co"},
    )  # fmt: skip
    page = logged_in(cast.owner).get(reverse("sent_message", args=[copy.pk])).content.decode()
    assert "Hi Priya &amp; Co,\n\nJune news. %%KW_OTHER%% stays." in page
    # Escaped in the HTML when filled, and the whole HTML escaped again into srcdoc.
    assert 'srcdoc="&lt;p&gt;Hi Priya &amp;amp; Co,&lt;/p&gt;"' in page


def test_unknown_message_can_be_marked_sent_or_sent_again(cast: Cast) -> None:
    client = logged_in(cast.owner)
    first = message(cast.candidate, "u1", OutboxMessage.State.UNKNOWN, claimed_at=timezone.now())
    second = message(cast.candidate, "u2", OutboxMessage.State.UNKNOWN)
    page = client.get(reverse("sent_message", args=[first.pk])).content.decode()
    assert "Did this go out?" in page

    client.post(reverse("resolve_message", args=[first.pk]), {"sent": "yes"})
    client.post(reverse("resolve_message", args=[second.pk]), {"sent": "no"})
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.state == OutboxMessage.State.SENT
    assert second.state == OutboxMessage.State.PENDING

    # A second click (another tab) is explained, not a crash.
    again = client.post(reverse("resolve_message", args=[first.pk]), {"sent": "no"}, follow=True)
    assert again.status_code == 200
    assert "Only a message whose outcome is unknown" in again.content.decode()
    first.refresh_from_db()
    assert first.state == OutboxMessage.State.SENT


def test_resolving_needs_a_post(cast: Cast) -> None:
    found = message(cast.candidate, "u", OutboxMessage.State.UNKNOWN)
    response = logged_in(cast.owner).get(reverse("resolve_message", args=[found.pk]))
    assert response.status_code == 405


def _caught_mid_send(cast: Cast, count: int) -> list[OutboxMessage]:
    claimed = timezone.now() - dt.timedelta(hours=3)
    return [
        message(
            cast.candidate,
            f"crash:{n}",
            OutboxMessage.State.UNKNOWN,
            claimed_at=claimed,
            claimed_by="web-1:4242",
            attempts=1,
            message_id=f"<{n}.keepwarm@agency.example>",
            last_error="Connection lost after the message was sent; check before resending. "
            "(Connection unexpectedly closed)",
        )
        for n in range(count)
    ]


def test_a_manager_settles_twenty_unknown_messages_in_one_post(cast: Cast) -> None:
    caught = _caught_mid_send(cast, 20)
    message(cast.candidate, "fine", OutboxMessage.State.SENT)
    client = logged_in(cast.manager)

    page = client.get(reverse("sent_mail"), {"state": "unknown"}).content.decode()
    assert page.count('name="ids"') == 20
    assert "Handed to the mail server" in page and "by worker web-1:4242" in page
    assert "Message id: &lt;3.keepwarm@agency.example&gt;" in page
    assert "Connection unexpectedly closed" in page
    ticked = client.get(reverse("sent_mail"), {"state": "unknown", "select": "all"})
    assert ticked.content.decode().count(" checked>") == 20

    response = client.post(
        reverse("resolve_messages"), {"ids": [m.pk for m in caught[:15]], "sent": "yes"}
    )

    assert response.status_code == 302
    settled = OutboxMessage.objects.filter(pk__in=[m.pk for m in caught[:15]])
    assert {m.state for m in settled} == {OutboxMessage.State.SENT}
    assert all(m.sent_at == m.claimed_at for m in settled)
    entries = AuditEntry.objects.filter(
        object_type="mail.outboxmessage", actor=cast.manager, action="changed"
    )
    assert entries.count() == 15
    assert entries.first().changes == {"state": ["unknown", "sent"]}  # type: ignore[union-attr]
    assert entries.first().person_id == cast.candidate.pk  # type: ignore[union-attr]
    assert "15 messages marked as sent." in client.get(response["Location"]).content.decode()

    # The rest go again; two already settled (another tab) are left as they were.
    again = client.post(
        reverse("resolve_messages"), {"ids": [m.pk for m in caught[13:]], "sent": "no"}
    )
    pending = OutboxMessage.objects.filter(state=OutboxMessage.State.PENDING)
    assert sorted(m.pk for m in pending) == [m.pk for m in caught[15:]]
    assert all(m.claimed_by == "" for m in pending)
    page = client.get(again["Location"]).content.decode()
    assert "5 messages queued to send again" in page
    assert "2 had already been settled and were left as they were." in page
    assert OutboxMessage.objects.get(key="crash:13").state == OutboxMessage.State.SENT


def test_only_managers_and_admins_settle_in_bulk(cast: Cast) -> None:
    caught = _caught_mid_send(cast, 2)
    consultant = logged_in(cast.owner)

    assert 'name="ids"' not in consultant.get(reverse("sent_mail")).content.decode()
    refused = consultant.post(
        reverse("resolve_messages"), {"ids": [m.pk for m in caught], "sent": "yes"}
    )

    assert refused.status_code == 403
    assert OutboxMessage.objects.filter(state=OutboxMessage.State.UNKNOWN).count() == 2
    assert logged_in(cast.admin).get(reverse("resolve_messages")).status_code == 405


def test_settling_in_bulk_without_ticking_anything_says_what_to_do(cast: Cast) -> None:
    _caught_mid_send(cast, 1)
    response = logged_in(cast.manager).post(
        reverse("resolve_messages"), {"sent": "yes"}, follow=True
    )
    assert "Tick the messages to settle" in response.content.decode()
    assert OutboxMessage.objects.get().state == OutboxMessage.State.UNKNOWN


def test_a_longer_page_of_sent_mail_reads_nothing_more_for_each_row(cast: Cast) -> None:
    def queries_for_page(address: str) -> tuple[int, str]:
        client = logged_in(cast.owner)
        # From another address each time, so each look is written to the audit trail.
        with CaptureQueriesContext(connection) as run:
            page = client.get(reverse("sent_mail"), REMOTE_ADDR=address).content.decode()
        return len(run.captured_queries), page

    def some_mail(n: int) -> None:
        for i in range(n):
            checkin = check_in(cast.placement, cast.candidate)
            message(cast.candidate, f"m{n}-{i}", OutboxMessage.State.SENT, touchpoint=checkin)
            message(
                cast.candidate, f"u{n}-{i}", OutboxMessage.State.UNKNOWN,
                claimed_at=timezone.now(), claimed_by="worker-7", attempts=2,
                message_id="<x@keepwarm>", last_error="Connection lost mid-send",
            )  # fmt: skip

    some_mail(1)
    queries_for_page("10.0.0.1")  # what a process reads once (content types, settings)
    few, _ = queries_for_page("10.0.0.2")
    some_mail(6)
    many, page = queries_for_page("10.0.0.3")
    assert many == few
    assert "Priya" in page and "by worker worker-7" in page and "Attempts: 2." in page
