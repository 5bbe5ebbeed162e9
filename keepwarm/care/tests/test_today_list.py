import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.agency.models import agency_settings
from keepwarm.care.models import Touchpoint
from keepwarm.care.queries import DUE_SHOWN, today_for
from keepwarm.care.services import set_cover
from keepwarm.conftest import START, Cast, set_agency
from keepwarm.people.models import Person
from keepwarm.placements.models import Placement

DAY = START + dt.timedelta(days=30)


def plan_call(
    cast: Cast, due_on: dt.date, *, owner: User | None = None, **extra: object
) -> Touchpoint:
    fields: dict[str, object] = {"kind": "call", "title": f"Call due {due_on}", **extra}
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        due_on=due_on,
        owner=owner or cast.owner,
        **fields,
    )


def test_today_lists_overdue_before_due_today(cast: Cast) -> None:
    due_today = plan_call(cast, DAY)
    overdue = plan_call(cast, DAY - dt.timedelta(days=3))
    plan_call(cast, DAY + dt.timedelta(days=1))  # tomorrow: not yet

    work = today_for(cast.owner, today=DAY)

    assert [t.pk for t in work.due] == [overdue.pk, due_today.pk]
    assert [t.pk for t in work.overdue] == [overdue.pk]
    assert [t.pk for t in work.due_today] == [due_today.pk]


def test_done_and_skipped_work_is_not_on_today(cast: Cast) -> None:
    plan_call(cast, DAY, state=Touchpoint.State.DONE)
    plan_call(cast, DAY, state=Touchpoint.State.SKIPPED)
    assert today_for(cast.owner, today=DAY).due == []


def test_other_consultants_calls_are_not_on_my_today(cast: Cast) -> None:
    plan_call(cast, DAY, owner=cast.outsider)
    assert today_for(cast.owner, today=DAY).due == []


def test_guarantee_ending_within_14_days_on_today(cast: Cast) -> None:
    placement = cast.placement
    placement.status = Placement.Status.IN_GUARANTEE
    placement.save()
    ends_on = placement.guarantee_ends_on

    assert today_for(cast.owner, today=ends_on - dt.timedelta(days=15)).guarantee_ending == []
    for day in (ends_on - dt.timedelta(days=14), ends_on):
        [ending] = today_for(cast.owner, today=day).guarantee_ending
        assert (ending.pk, ending.guarantee_ends_on) == (placement.pk, ends_on)
        assert ending.guarantee_day(day) == placement.guarantee_day(day)
    assert today_for(cast.owner, today=ends_on + dt.timedelta(days=1)).guarantee_ending == []


def test_guarantees_ending_include_those_of_the_colleague_covered(cast: Cast) -> None:
    theirs = cast.placement
    theirs.status = Placement.Status.IN_GUARANTEE
    theirs.save()
    day = theirs.guarantee_ends_on - dt.timedelta(days=3)
    mine = Placement.objects.create(
        person=Person.objects.create(first_name="Noor", last_name="Haddad"),
        company=cast.company,
        owner=cast.colleague,
        role_title="Buyer",
        start_date=theirs.start_date + dt.timedelta(days=1),
        status=Placement.Status.OFFER_ACCEPTED,
    )
    set_cover(
        absent=cast.owner, colleague=cast.colleague, starts_on=day, ends_on=day, by=cast.manager
    )

    ending = today_for(cast.colleague, today=day).guarantee_ending

    assert [(p.pk, p.person.full_name) for p in ending] == [
        (theirs.pk, cast.candidate.full_name),
        (mine.pk, "Noor Haddad"),
    ]
    assert [p.pk for p in today_for(cast.owner, today=day).guarantee_ending] == [theirs.pk]


def test_ended_placement_guarantee_is_not_counted_down(cast: Cast) -> None:
    placement = cast.placement
    placement.status = Placement.Status.FELL_OFF
    placement.save()
    day = placement.guarantee_ends_on - dt.timedelta(days=3)
    assert today_for(cast.owner, today=day).guarantee_ending == []


def contacted(person: Person, days_ago: int) -> None:
    person.last_contacted_at = dt.datetime.combine(
        DAY - dt.timedelta(days=days_ago), dt.time(11), tzinfo=dt.UTC
    )
    person.save()


@pytest.mark.parametrize(
    ("days_ago", "rag"),
    [(13, None), (14, "amber"), (29, "amber"), (30, "red"), (None, "red")],
)
def test_going_cold_red_amber_thresholds(cast: Cast, days_ago: int | None, rag: str | None) -> None:
    contacted(cast.client_contact, 1)
    if days_ago is not None:
        contacted(cast.candidate, days_ago)

    cold = today_for(cast.owner, today=DAY).going_cold

    assert [(c.person.pk, c.rag) for c in cold] == ([(cast.candidate.pk, rag)] if rag else [])


def test_going_cold_includes_the_hiring_manager(cast: Cast) -> None:
    contacted(cast.candidate, 2)
    contacted(cast.client_contact, 40)
    [entry] = today_for(cast.owner, today=DAY).going_cold
    assert entry.person == (cast.client_contact.pk, cast.client_contact.full_name)
    assert entry.is_client and entry.placed_name == cast.candidate.full_name
    assert entry.days_since_contact == 40


def test_amber_and_red_days_an_admin_sets_apply_without_a_restart(cast: Cast) -> None:
    set_agency(amber_days=5, red_days=10)
    contacted(cast.client_contact, 1)
    contacted(cast.candidate, 6)
    [entry] = today_for(cast.owner, today=DAY).going_cold
    assert entry.rag == "amber"


def test_going_cold_counts_days_from_the_agencys_calendar_day(cast: Cast) -> None:
    # 14 days is amber. In London's summer a call at 00:30 local time is 23:30 UTC the day
    # before: the agency's day, not UTC's, says whether someone has gone cold yet.
    today = dt.date(2026, 7, 15)
    london = ZoneInfo("Europe/London")
    contacted_at = {
        cast.candidate: dt.datetime(2026, 7, 1, 0, 30, tzinfo=london),  # 14 days: amber
        cast.client_contact: dt.datetime(2026, 7, 2, 0, 30, tzinfo=london),  # 13: not yet
    }
    for person, at in contacted_at.items():
        person.last_contacted_at = at
        person.save()

    with timezone.override(london):
        cold = today_for(cast.owner, today=today).going_cold

    assert [(c.person.pk, c.rag, c.days_since_contact) for c in cold] == [
        (cast.candidate.pk, "amber", 14)
    ]


def test_someone_placed_and_hiring_is_going_cold_once(cast: Cast) -> None:
    # Priya was placed at Acme and now hires for a second placement of the same consultant.
    newcomer = Person.objects.create(first_name="Nina", last_name="New")
    Placement.objects.create(
        person=newcomer,
        company=cast.company,
        hiring_manager=cast.candidate,
        owner=cast.owner,
        role_title="Sales Assistant",
        start_date=START + dt.timedelta(days=7),
    )
    contacted(cast.candidate, 40)
    contacted(cast.client_contact, 1)
    contacted(newcomer, 20)

    work = today_for(cast.owner, today=DAY)

    assert [(c.person.pk, c.placement_id, c.is_client, c.rag) for c in work.going_cold] == [
        (cast.candidate.pk, cast.placement.pk, False, "red"),  # as the placed candidate, once
        (newcomer.pk, Placement.objects.get(person=newcomer).pk, False, "amber"),
    ]
    assert work.going_cold_count == 2


def test_settled_placements_do_not_go_cold_on_today(cast: Cast) -> None:
    cast.placement.status = Placement.Status.SETTLED
    cast.placement.save()
    assert today_for(cast.owner, today=DAY).going_cold == []


def test_today_query_count_stays_constant_as_data_grows(
    cast: Cast, django_assert_max_num_queries: object
) -> None:
    set_cover(
        absent=cast.colleague, colleague=cast.owner, starts_on=DAY, ends_on=DAY, by=cast.manager
    )

    def grow(n: int) -> None:
        for i in range(n):
            person = Person.objects.create(first_name="P", last_name=f"P{i}", owner=cast.owner)
            manager = Person.objects.create(first_name="M", last_name=f"M{i}")
            placement = Placement.objects.create(
                person=person,
                company=cast.company,
                hiring_manager=manager,
                owner=cast.owner if i % 2 else cast.colleague,
                role_title="Clerk",
                start_date=DAY - dt.timedelta(days=80),
                status=Placement.Status.IN_GUARANTEE,
            )
            Touchpoint.objects.create(
                person=person,
                placement=placement,
                kind="call",
                title="Call",
                due_on=DAY - dt.timedelta(days=i % 3),
                owner=placement.owner,
            )

    # The calls due with their counts are one statement, Guarantees ending and Going cold
    # one each, whatever the size. Cover is two (the day's covers, followed along chains,
    # then the colleagues covered).
    grow(3)
    agency_settings()  # a running agency has its settings row; a process reads it once a minute
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        small = today_for(cast.owner, today=DAY)
    grow(40)
    with django_assert_max_num_queries(5):  # type: ignore[operator]
        large = today_for(cast.owner, today=DAY)
        # Rendering Today reads these relations; they must already be loaded.
        for t in large.due:
            assert t.owner_name and t.person.full_name
            assert t.placement_id is not None and t.company_name
        for p in large.guarantee_ending:
            assert p.person.full_name and p.company_name and p.role_title
        for c in large.going_cold:
            assert c.person.full_name and c.company_name

    assert len(large.due) == len(small.due) + 40
    assert len(large.guarantee_ending) == 43
    assert len(large.going_cold) > len(small.going_cold)


def test_today_shows_the_most_overdue_calls_and_counts_the_rest(cast: Cast) -> None:
    oldest = plan_call(cast, DAY - dt.timedelta(days=10))
    for n in range(DUE_SHOWN + 4):
        plan_call(cast, DAY - dt.timedelta(days=1 + n % 5))
    due_today = plan_call(cast, DAY)

    work = today_for(cast.owner, today=DAY)

    assert len(work.overdue) == DUE_SHOWN and work.overdue[0].pk == oldest.pk
    # Today's calls still show below a long overdue list.
    assert [t.pk for t in work.due_today] == [due_today.pk]
    assert (work.overdue_count, work.due_today_count, work.not_shown) == (DUE_SHOWN + 5, 1, 5)


def test_check_in_emails_are_counted_not_listed_on_today(cast: Cast) -> None:
    call = plan_call(cast, DAY)
    plan_call(cast, DAY - dt.timedelta(days=2), kind="email")
    plan_call(cast, DAY, kind="questionnaire")

    work = today_for(cast.owner, today=DAY)

    assert [t.pk for t in work.due] == [call.pk]
    assert work.emails_due == 2


def test_check_in_emails_are_counted_on_a_day_with_no_calls_due(cast: Cast) -> None:
    plan_call(cast, DAY - dt.timedelta(days=3), kind="email")
    plan_call(cast, DAY, kind="questionnaire")
    plan_call(cast, DAY + dt.timedelta(days=1), kind="call")  # tomorrow's: not due yet

    work = today_for(cast.owner, today=DAY)

    assert work.due == [] and work.next_call is None
    assert (work.overdue_count, work.due_today_count, work.emails_due) == (0, 0, 2)
