"""Every service function that writes people, companies, placements, touchpoints or
consent leaves the audit trail an entry for each record it wrote.

The functions are found by reading the public functions of every `keepwarm/*/services.py`,
or of every module of a `keepwarm/*/services/` package where an app's services are split
by responsibility; either way they are named "app.function".
Each is either called below on the cast (WRITERS: how to call it) or named in OTHERS with
what it writes instead; a new service function known to neither fails the first test, so
whoever adds one decides which it is. Nothing records a save by itself (no model save
signal does): this is what holds every write, single or bulk, to recording its entries.
"""

from __future__ import annotations

import datetime as dt
import importlib
import inspect
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

from keepwarm.audit.models import AuditEntry
from keepwarm.audit.recording import UNTRACKED_FIELDS
from keepwarm.care import services as care
from keepwarm.care.models import Kind, Touchpoint
from keepwarm.care.services import placements
from keepwarm.conftest import START, Cast
from keepwarm.imports import services as imports
from keepwarm.imports.models import ImportRun, Source
from keepwarm.mail.backends import CaptureBackend
from keepwarm.mail.models import Suppression
from keepwarm.mail.services import consent as marketing
from keepwarm.mail.services.outbox import queue_email
from keepwarm.mail.services.sending import send_now, send_pending
from keepwarm.mail.suppressions import suppress
from keepwarm.network import services as network
from keepwarm.network.models import Referral
from keepwarm.people import services as people
from keepwarm.people.models import Company, Consent, Person
from keepwarm.placements.models import Placement
from keepwarm.portal import services as portal
from keepwarm.signals.services.actions import call_about_alert
from keepwarm.signals.services.alerts import open_alert

pytestmark = pytest.mark.django_db

WATCHED: tuple[Any, ...] = (Person, Company, Placement, Touchpoint, Consent)
BULLHORN = Path(__file__).parents[2] / "imports" / "tests" / "fixtures" / "bullhorn"
IMPORTED_AT = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
SENT_AT = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)

# A recipe prepares what the call needs on the cast and returns the call to make.
Recipe = Callable[[Cast], Callable[[], object]]


def _planned_call(cast: Cast, due_on: dt.date = START) -> Touchpoint:
    return Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.CALL,
        title="Week-one call",
        due_on=due_on,
        owner=cast.owner,
    )


def _consent(cast: Cast) -> Consent:
    return marketing.record_consent(
        person=cast.candidate,
        basis=Consent.Basis.CONSENT,
        subscriber_type=Consent.SubscriberType.INDIVIDUAL,
        method="Ticked the box on the form",
        wording="Send me the monthly newsletter.",
    )


def _laid_out(cast: Cast) -> Placement:
    care.lay_out_care_plan(placement=cast.placement, today=START)
    return cast.placement


def _bounced_checkin(cast: Cast) -> int:
    """A check-in email to an address that no longer works: sending cancels it, and the
    touchpoint shows the bounce."""
    touchpoint = Touchpoint.objects.create(
        person=cast.candidate,
        placement=cast.placement,
        kind=Kind.EMAIL,
        title="Month-one check-in",
        due_on=START,
        owner=cast.owner,
    )
    suppress(cast.candidate.email, reason=Suppression.Reason.HARD_BOUNCE)
    message = queue_email(
        key=f"touchpoint:{touchpoint.pk}",
        to_email=cast.candidate.email,
        subject="How is it going?",
        body_text="Hello",
        from_email="olivia@agency.example",
        send_after=SENT_AT - dt.timedelta(hours=1),
        person=cast.candidate,
        touchpoint=touchpoint,
    )
    assert message is not None
    return message.pk


def _bullhorn_run(cast: Cast) -> ImportRun:
    """A queued import of the Bullhorn fixtures, copied next to the test's data folder."""
    folder = Path(settings.DATA_DIR).parent / "export"
    shutil.copytree(BULLHORN, folder)
    files, _ = imports.bullhorn_files(sorted(folder.iterdir()))
    return imports.start_import(source=Source.BULLHORN, files=files, by=cast.manager, dry_run=False)


def _claimed(run: ImportRun) -> ImportRun:
    assert imports.claim(run.pk, now=IMPORTED_AT)
    return ImportRun.objects.get(pk=run.pk)


def _new_referral(cast: Cast) -> Referral:
    return Referral.objects.create(
        referrer=cast.candidate,
        kind=Referral.Kind.CANDIDATE,
        name="Rosa Referred",
        email="rosa@example.org",
        owner=cast.owner,
    )


WRITERS: dict[str, Recipe] = {}


def writes(name: str) -> Callable[[Recipe], Recipe]:
    def register(recipe: Recipe) -> Recipe:
        WRITERS[name] = recipe
        return recipe

    return register


@writes("care.hand_over")
def _hand_over(cast: Cast) -> Callable[[], object]:
    return lambda: care.hand_over(from_user=cast.owner, to_user=cast.colleague, by=cast.manager)


@writes("care.lay_out_care_plan")
def _lay_out_care_plan(cast: Cast) -> Callable[[], object]:
    return lambda: care.lay_out_care_plan(placement=cast.placement, today=START)


@writes("care.lay_out_new_placements")
def _lay_out_new_placements(cast: Cast) -> Callable[[], object]:
    cast.placement.care_plan = care.default_plan()
    return lambda: care.lay_out_new_placements(placements=[cast.placement], today=START)


@writes("care.log_touchpoint")
def _log_touchpoint(cast: Cast) -> Callable[[], object]:
    planned = _planned_call(cast)
    return lambda: care.log_touchpoint(
        person=cast.candidate,
        by=cast.owner,
        kind=Kind.CALL,
        outcome=Touchpoint.Outcome.REACHED,
        placement=cast.placement,
        touchpoint=planned,
        next_action_on=START + dt.timedelta(days=14),
    )


@writes("care.mark_missed")
def _mark_missed(cast: Cast) -> Callable[[], object]:
    _planned_call(cast)
    return lambda: care.mark_missed(today=START + dt.timedelta(days=30))


@writes("care.move_start_date")
def _move_start_date(cast: Cast) -> Callable[[], object]:
    _laid_out(cast)
    return lambda: care.move_start_date(
        placement=cast.placement,
        new_start=START + dt.timedelta(days=7),
        by=cast.owner,
        today=START - dt.timedelta(days=7),
    )


@writes("care.plan_touchpoint")
def _plan_touchpoint(cast: Cast) -> Callable[[], object]:
    return lambda: care.plan_touchpoint(
        person=cast.client_contact,
        placement=cast.placement,
        owner_id=cast.owner.pk,
        kind=Kind.MEETING,
        title="Lunch",
        due_on=START,
    )


@writes("care.change_planned_touchpoint")
def _change_planned_touchpoint(cast: Cast) -> Callable[[], object]:
    planned = _planned_call(cast)
    return lambda: care.change_planned_touchpoint(
        touchpoint=planned, owner=cast.colleague, due_on=START + dt.timedelta(days=1)
    )


@writes("care.skip_touchpoint")
def _skip_touchpoint(cast: Cast) -> Callable[[], object]:
    planned = _planned_call(cast)
    return lambda: care.skip_touchpoint(touchpoint=planned, by=cast.owner, reason="On holiday")


@writes("care.add_closure")
def _add_closure(cast: Cast) -> Callable[[], object]:
    _planned_call(cast)
    return lambda: care.add_closure(
        first_day=START, last_day=START + dt.timedelta(days=2), reason="Shut", by=cast.manager
    )


@writes("care.record_email_failed")
def _record_email_failed(cast: Cast) -> Callable[[], object]:
    emailed = _planned_call(cast)
    Touchpoint.objects.filter(pk=emailed.pk).update(kind=Kind.EMAIL, state=Touchpoint.State.DONE)
    return lambda: care.record_email_failed(
        email=cast.candidate.email, reason="550 No such user", touchpoint_id=emailed.pk
    )


@writes("care.calls_instead_of_emails")
def _calls_instead_of_emails(cast: Cast) -> Callable[[], object]:
    emailed = _planned_call(cast)
    Touchpoint.objects.filter(pk=emailed.pk).update(kind=Kind.EMAIL)
    return lambda: care.calls_instead_of_emails(ids=[emailed.pk])


@writes("care.link_replacement")
def _link_replacement(cast: Cast) -> Callable[[], object]:
    Placement.objects.filter(pk=cast.placement.pk).update(
        replacement_due_by=START + dt.timedelta(days=120)
    )
    cast.placement.refresh_from_db()
    replacement = Placement.objects.create(
        person=cast.client_contact,
        company=cast.company,
        owner=cast.owner,
        role_title="Account Manager",
        start_date=START + dt.timedelta(days=60),
    )
    return lambda: placements.link_replacement(
        placement=cast.placement, replacement=replacement, by=cast.owner
    )


@writes("signals.call_about_alert")
def _call_about_alert(cast: Cast) -> Callable[[], object]:
    planned = _planned_call(cast)
    alert = open_alert(placement=cast.placement, reason="Said she might leave")
    assert alert is not None and planned.pk
    return lambda: call_about_alert(
        alert=alert, by=cast.owner, outcome=Touchpoint.Outcome.REACHED, note="Talked it through"
    )


@writes("imports.execute")
def _execute(cast: Cast) -> Callable[[], object]:
    run = _bullhorn_run(cast)
    return lambda: imports.execute(_claimed(run), now=IMPORTED_AT)


@writes("imports.run_now")
def _run_now(cast: Cast) -> Callable[[], object]:
    run = _bullhorn_run(cast)
    return lambda: imports.run_now(run, now=IMPORTED_AT)


@writes("imports.run_next_import")
def _run_next_import(cast: Cast) -> Callable[[], object]:
    _bullhorn_run(cast)
    return lambda: imports.run_next_import(now=IMPORTED_AT)


@writes("mail.send_pending")
def _send_pending(cast: Cast) -> Callable[[], object]:
    _bounced_checkin(cast)
    return lambda: send_pending(now=SENT_AT)


@writes("mail.send_now")
def _send_now(cast: Cast) -> Callable[[], object]:
    message_id = _bounced_checkin(cast)
    return lambda: send_now([message_id], now=SENT_AT, backend=CaptureBackend())


@writes("network.receive_referral")
def _receive_referral(cast: Cast) -> Callable[[], object]:
    return lambda: network.receive_referral(
        referrer=cast.candidate,
        kind=Referral.Kind.CANDIDATE,
        name="Rosa Referred",
        email="rosa@example.org",
        by=cast.owner,
    )


@writes("network.resolve_referral")
def _resolve_referral(cast: Cast) -> Callable[[], object]:
    referral = Referral.objects.create(
        referrer=cast.candidate,
        kind=Referral.Kind.CANDIDATE,
        name="Rosa Referred",
        email="rosa@example.org",
        owner=cast.owner,
    )
    return lambda: network.resolve_referral(referral=referral, person=None, by=cast.owner)


@writes("network.convert_lead")
def _convert_lead(cast: Cast) -> Callable[[], object]:
    lead = network.receive_lead(
        source=cast.candidate,
        company_name="Bright Ltd",
        contact_name="Lena Lead",
        contact_email="lena@bright.example",
        by=cast.owner,
    )
    return lambda: network.convert_lead(
        lead=lead, by=cast.owner, company_name="Bright Ltd", title="Buyer"
    )


@writes("people.create_company")
def _create_company(cast: Cast) -> Callable[[], object]:
    return lambda: people.create_company(name="Bright Ltd", sector="Retail", owner=cast.owner)


@writes("people.update_company")
def _update_company(cast: Cast) -> Callable[[], object]:
    return lambda: people.update_company(company=cast.company, learnt="Pays on time")


@writes("people.create_person")
def _create_person(cast: Cast) -> Callable[[], object]:
    return lambda: people.create_person(
        by=cast.owner, first_name="Nia", last_name="New", email="nia@example.org"
    )


@writes("mail.record_consent")
def _record_consent(cast: Cast) -> Callable[[], object]:
    return lambda: _consent(cast)


@writes("mail.update_preferences")
def _update_preferences(cast: Cast) -> Callable[[], object]:
    consent = _consent(cast)
    return lambda: marketing.update_preferences(
        consent=consent, frequency=Consent.Frequency.WEEKLY, topics=[], paused_until=None
    )


@writes("people.update_person")
def _update_person(cast: Cast) -> Callable[[], object]:
    return lambda: people.update_person(
        person=cast.candidate, expected_version=cast.candidate.version, headline="Top biller"
    )


@writes("mail.withdraw_consent")
def _withdraw_consent(cast: Cast) -> Callable[[], object]:
    _consent(cast)
    return lambda: marketing.withdraw_consent(person=cast.candidate, how="Asked us to stop")


@writes("mail.withdraw_consent_for_address")
def _withdraw_consent_for_address(cast: Cast) -> Callable[[], object]:
    _consent(cast)
    return lambda: marketing.withdraw_consent_for_address(cast.candidate.email, how="Complaint")


@writes("care.advance_statuses")
def _advance_statuses(cast: Cast) -> Callable[[], object]:
    return lambda: placements.advance_statuses(today=START + dt.timedelta(days=200))


@writes("care.create_placement")
def _create_placement(cast: Cast) -> Callable[[], object]:
    person = Person.objects.create(first_name="Nia", last_name="New")
    return lambda: placements.create_placement(
        by=cast.owner,
        person=person,
        company=cast.company,
        owner=cast.owner,
        role_title="Buyer",
        start_date=START,
        today=START,
    )


@writes("care.create_placements")
def _create_placements(cast: Cast) -> Callable[[], object]:
    # The person has no owner yet: the placement's owner becomes theirs.
    person = Person.objects.create(first_name="Nia", last_name="New")
    item = placements.NewPlacement(
        person=person,
        company=cast.company,
        owner=cast.colleague,
        role_title="Buyer",
        start_date=START,
    )
    return lambda: placements.create_placements(by=cast.owner, items=[item], today=START)


@writes("care.record_placement_outcome")
def _record_placement_outcome(cast: Cast) -> Callable[[], object]:
    _laid_out(cast)
    return lambda: placements.record_placement_outcome(
        placement=cast.placement,
        status=Placement.Status.FELL_OFF,
        left_on=START + dt.timedelta(days=20),
        reason=Placement.LeaveReason.COUNTER_OFFER,
        by=cast.owner,
    )


@writes("care.update_placement")
def _update_placement(cast: Cast) -> Callable[[], object]:
    # Every kind of change at once: fields, a start date moving the plan, a hand-over.
    _laid_out(cast)
    return lambda: placements.update_placement(
        placement=cast.placement,
        by=cast.manager,
        expected_version=cast.placement.version,
        changes={"salary": 40000, "role_title": "Key Account Manager"},
        start_date=START + dt.timedelta(days=7),
        owner=cast.colleague,
        today=START - dt.timedelta(days=7),
    )


@writes("portal.confirm_signup")
def _confirm_signup(cast: Cast) -> Callable[[], object]:
    signup = portal.Signup(
        name="Sol Signup",
        email="sol@example.org",
        frequency=Consent.Frequency.MONTHLY,
        topics=[],
        wording_version=portal.SIGNUP_WORDING_VERSION,
        requested_at=SENT_AT,
    )
    return lambda: portal.confirm_signup(signup)


@writes("portal.unsubscribe")
def _unsubscribe(cast: Cast) -> Callable[[], object]:
    _consent(cast)
    return lambda: portal.unsubscribe(person=cast.candidate, purpose=None, how="One click")


def _each(app: str, names: str, what: str) -> dict[str, str]:
    return {f"{app}.{name}": what for name in names.split()}


# Service functions that write none of people, companies, placements, touchpoints or
# consent, and what they write instead.
OTHERS: dict[str, str] = {
    **_each(
        "accounts",
        "clear_sign_in_failures confirm_enrolment create_user "
        "end_sessions generate_password has_second_factor is_locked_out make_recovery_code "
        "new_totp_secret provisioning_uri reactivate_user "
        "record_sign_in_failure recovery_codes_left regenerate_recovery_codes "
        "reset_second_factor update_contact_card update_user verify_second_factor",
        "staff accounts, sign-in and second factors",
    ),
    **_each("care", "deactivate_user work_to_hand_over", "a staff account, once its work moved"),
    **_each("mail", "notify_sign_in_change", "an email to a colleague about their account"),
    **_each("mail", "outbox_grew", "nothing of anyone's: the outbox's planner statistics"),
    **_each(
        "mail",
        "copy_missing_placements",
        "the outbox: a message's placement, copied from its touchpoint (no edit of a record)",
    ),
    **_each(
        "mail",
        "request_password_reset reset_password",
        "a colleague's password and its reset link (on the trail as accounts.*)",
    ),
    **_each(
        "care", "call_owner covering_for default_plan stand_in_id step_due_dates", "nothing: reads"
    ),
    **_each("care", "set_cover end_cover", "a cover (on the trail: test_bulk_writes)"),
    **_each(
        "care",
        "remove_closure",
        "an agency closure (on the trail: test_working_days)",
    ),
    **_each(
        "imports",
        "bullhorn_files claim delete_files forget_old_uploads forget_old_uploads_daily "
        "import_waiting progress_of remember_mapping remembered_mapping run_for_real start_import "
        "store_upload",
        "import runs, files and mappings (an import writes people in execute)",
    ),
    **_each(
        "integrations",
        "check_webhook_url delete_webhook delivery_body feed_for_secret feed_touchpoints "
        "feed_url issue_feed message_id on_domain_event queue_event reconcile_stale_deliveries "
        "redeliver render_feed revoke_feed rotate_secret save_webhook send_due_webhooks "
        "send_test_event set_day_start",
        "calendar feeds and webhooks",
    ),
    **_each(
        "mail",
        "agency_from checkin_context default_worker_id one_line personal_from personal_reply_to "
        "queue_email "
        "queue_emails reconcile_stale render_checkin resolve_unknown",
        "the outbox",
    ),
    **_each(
        "network",
        "active_rule advance_referral discard_lead find_existing_person fold_name "
        "mark_rewards_due names_are_close phone_key receive_lead "
        "record_statement referrals_involving resolve_lead_contact split_name",
        "referrals, leads and rewards",
    ),
    **_each(
        "newsletters",
        "add_block add_generated_block add_library_block cancel_issue check_placeholders "
        "close_finished_issues content_problem create_issue expand_issue fail_issue "
        "import_statistics move_block newsletter_from next_slot remove_block save_issue "
        "pause_issue personalise reason_text record_engagement resume_issue run_due_issues "
        "schedule_issue send_test unschedule_issue",
        "newsletter issues, their copies in the outbox and engagement counts",
    ),
    **_each("mail", "check_basis current_consent lawful marketable_people may_market_to", "reads"),
    **_each("people", "make_client_contact", "a role and a note"),
    **_each("people", "record_contact", "a person's last contact, which is no edit (untracked)"),
    **_each(
        "portal",
        "check_not_left_since open_signup_token signup_token",
        "nothing: signs and reads links",
    ),
    **_each(
        "agency",
        "save_agency_settings",
        "the agency's settings (on the trail: agency/tests/test_agency_settings_page)",
    ),
    **_each("portal", "request_signup", "a sign-up waiting for confirmation, and its email"),
    **_each("privacy", "log_access_request mark_answered", "subject access requests"),
    **_each("reports", "record_rebate_payment", "a rebate payment"),
    **_each(
        "signals",
        "alert_owner close_alert current_weights due_after ensure_default_weights "
        "escalate_overdue_alerts escalation_hours escalation_recipients raise_concern "
        "find_signals fit_risk_model flag_placement in_first_year label_stayers "
        "latest_fitted_model on_placement_ended on_questionnaire_answered on_response open_alert "
        "recompute_all recompute_risk record_reported reopen_alert response_inputs "
        "alert_cutoff checkpoint_for evidence_at examples hear model_in_use pay_medians "
        "pay_table placement_facts quality raise_alert record_stayed refit_when_new_outcomes "
        "rescore_live save_risk_settings score_factors",
        "risk, signals and alerts",
    ),
    **_each(
        "signals",
        "call_note_signals on_call_logged on_call_note_logged read_response_texts read_text",
        "derived readings of free text (tone, leaving intent) and the risk they feed",
    ),
    **_each(
        "surveys",
        "create_invitation invitation_days invitation_url invite_for_touchpoint is_shown "
        "link_ids open_link record_response reminder_days render_invitation score_summary "
        "send_reminders sign_invitation target_record",
        "invitations, responses and their emails",
    ),
}


def service_modules() -> dict[str, str]:
    """Module name -> app, for every keepwarm/*/services.py and keepwarm/*/services/*.py."""
    root = Path(__file__).parents[2]
    found = {
        f"keepwarm.{path.parent.name}.services": path.parent.name
        for path in root.glob("*/services.py")
    }
    for path in root.glob("*/services/*.py"):
        app = path.parent.parent.name
        name = "" if path.stem == "__init__" else f".{path.stem}"
        found[f"keepwarm.{app}.services{name}"] = app
    return found


def service_functions() -> set[str]:
    """ "app.function" for every public function defined in an app's services."""
    found = set()
    for module_name, app in sorted(service_modules().items()):
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                inspect.isfunction(value)
                and value.__module__ == module.__name__
                and not name.startswith("_")
            ):
                found.add(f"{app}.{name}")
    return found


def test_every_service_function_is_known_to_write_or_not() -> None:
    found = service_functions()

    unknown = found - set(WRITERS) - set(OTHERS)
    assert not unknown, (
        f"New service functions {sorted(unknown)}: add each to WRITERS (how to call it) if it "
        "writes people, companies, placements, touchpoints or consent, else to OTHERS."
    )
    assert not (set(WRITERS) | set(OTHERS)) - found, "A listed function no longer exists."
    assert not set(WRITERS) & set(OTHERS)


def _snapshot() -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (model._meta.label_lower, str(row["id"])): {
            k: v for k, v in row.items() if k not in UNTRACKED_FIELDS
        }
        for model in WATCHED
        for row in model.objects.values()
    }


def _named(written: tuple[str, str], trail: set[tuple[str, str]], laid_out: set[str]) -> bool:
    """Whether the trail names a record written: itself, or for a touchpoint a care plan
    laid out, the placement's entry counting what its plan gave it."""
    if written in trail:
        return True
    if written[0] != "care.touchpoint":
        return False
    step, placement = Touchpoint.objects.filter(pk=written[1]).values_list(
        "step_id", "placement_id"
    ).first() or (None, None)
    return step is not None and str(placement) in laid_out


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_writing_service_leaves_an_entry_for_each_record_it_wrote(
    name: str, cast: Cast, settings: Any, tmp_path: Path
) -> None:
    settings.DATA_DIR = tmp_path / "data"
    settings.EMAIL_BACKEND = "keepwarm.mail.backends.CaptureBackend"
    call = WRITERS[name](cast)
    before, since = _snapshot(), AuditEntry.objects.order_by("-id").values_list("id").first()

    call()

    after = _snapshot()
    written = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
    assert written, f"{name}: the recipe wrote none of the watched records"
    new = AuditEntry.objects.filter(id__gt=since[0] if since else 0)
    trail = set(new.values_list("object_type", "object_id"))
    laid_out = set(
        new.filter(changes__has_key="care_plan_touchpoints").values_list("object_id", flat=True)
    )
    missing = sorted(key for key in written if not _named(key, trail, laid_out))
    assert not missing, f"{name} wrote {missing} without an audit entry"
