"""Inviting people to answer questionnaires, reading their signed links, recording answers.

A link carries the invitation id and the person id, signed with a salt used for
nothing else, so a token made for another purpose never opens a questionnaire. A GET
of the link only shows the page (mail scanners open every link); only a POST records
the response, once: the answered_at UPDATE and the one-to-one response row are the
guards, in one transaction.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Avg, Count, Min, QuerySet
from django.template import Context
from django.urls import reverse
from django.utils import timezone

from keepwarm.accounts.models import User
from keepwarm.agency.models import agency_settings
from keepwarm.care.models import Audience, Touchpoint
from keepwarm.lib import events
from keepwarm.lib.ratelimit import forget_old_counts
from keepwarm.mail.compose import Email, compose
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.checkins import (
    STEP_ENGINE,
    checkin_context,
    personal_from,
    personal_reply_to,
)
from keepwarm.mail.services.outbox import one_line, queue_email
from keepwarm.people.links import personal_page_url
from keepwarm.people.models import Person
from keepwarm.people.services import record_contact
from keepwarm.placements.models import Placement
from keepwarm.surveys.models import (
    TARGET_CHOICES,
    Answer,
    Invitation,
    Question,
    Questionnaire,
    Response,
)

logger = logging.getLogger(__name__)

SALT = "keepwarm.questionnaire"
# Submissions allowed per window (lib.ratelimit.RATE_WINDOW): per link (a person fixing a
# typo, or a stuck button) and per client address (a shared office connection answers
# several links).
LINK_LIMIT = 10
ADDRESS_LIMIT = 30


def invitation_days() -> int:
    """How long a questionnaire link works: the agency's setting."""
    return agency_settings().invitation_days


def reminder_days() -> int:
    """Days without an answer before the one reminder: the agency's setting."""
    return agency_settings().reminder_days


# --- Signed links -------------------------------------------------------------------------


class LinkProblem(Exception):
    """A link that cannot open a questionnaire; `status` is the page's HTTP status."""

    status = 400
    title = "This link does not work"
    message = (
        "The link may have been cut short or changed when it was copied. Please open it "
        "again from the email, or reply to the email and we will send a new one."
    )


class LinkNotFound(LinkProblem):
    status = 404
    title = "We could not find this questionnaire"
    message = "It may have been withdrawn. Reply to the email you received and we will sort it out."


class LinkExpired(LinkProblem):
    status = 410
    title = "This link has expired"
    message = (
        "Questionnaire links work for a few weeks. If you would still like to answer, reply "
        "to the email you received and your consultant will send a new link."
    )


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SALT)


def sign_invitation(invitation: Invitation) -> str:
    return _signer().sign_object({"i": invitation.pk, "p": invitation.person_id}, compress=False)


def invitation_url(invitation: Invitation) -> str:
    return settings.BASE_URL + reverse("answer", args=[sign_invitation(invitation)])


def link_ids(token: str) -> tuple[int, int]:
    """The invitation and person ids a link carries, or a LinkProblem if its signature
    is wrong or older than the agency's link lifetime."""
    if len(token) > 300:
        raise LinkProblem()
    try:
        payload = _signer().unsign_object(token, max_age=dt.timedelta(days=invitation_days()))
    except signing.SignatureExpired:
        raise LinkExpired() from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise LinkProblem() from None
    if not isinstance(payload, dict):
        raise LinkProblem()
    invitation_id, person_id = payload.get("i"), payload.get("p")
    if not isinstance(invitation_id, int) or not isinstance(person_id, int):
        raise LinkProblem()
    return invitation_id, person_id


def open_link(token: str, *, now: dt.datetime | None = None) -> Invitation:
    """The invitation a link stands for, or a LinkProblem saying what is wrong with it."""
    now = now or timezone.now()
    invitation_id, person_id = link_ids(token)
    invitation = (
        Invitation.objects.select_related(
            "questionnaire", "person", "placement__company", "placement__person", "sender"
        )
        .filter(pk=invitation_id, person_id=person_id)
        .first()
    )
    if invitation is None:
        raise LinkNotFound()
    # A reminder carries a newer signature, but the invitation's own expiry still holds.
    if invitation.is_answered:
        return invitation
    if invitation.is_expired(now):
        raise LinkExpired()
    return invitation


# --- Inviting --------------------------------------------------------------------------------


def _build_target_questions(invitation: Invitation) -> None:
    targets = list(invitation.placement.targets.order_by("id"))
    candidate = invitation.placement.person.first_name
    Question.objects.bulk_create(
        Question(
            questionnaire=invitation.questionnaire,
            invitation=invitation,
            order=index + 1,  # before the questionnaire's own questions (10, 20, ...)
            code=f"target:{target.pk}",
            kind=Question.Kind.CHOICE,
            label=f"{target.name}: how is {candidate} doing against the agreed target?",
            help=f"Agreed: {target}",
            required=True,
            choices=TARGET_CHOICES,
            number_label=f"Where are they now? ({target.unit}, optional)",
        )
        for index, target in enumerate(targets)
    )


@transaction.atomic
def create_invitation(
    *,
    placement: Placement,
    person: Person,
    questionnaire: Questionnaire,
    sender: User | None,
    touchpoint: Touchpoint | None = None,
    now: dt.datetime | None = None,
) -> Invitation:
    """An invitation valid for the agency's link lifetime (Agency settings); client
    questionnaires get one question per agreed target of the placement, by name."""
    now = now or timezone.now()
    invitation = Invitation.objects.create(
        placement=placement,
        person=person,
        questionnaire=questionnaire,
        touchpoint=touchpoint,
        sender=sender,
        expires_at=now + dt.timedelta(days=invitation_days()),
    )
    if questionnaire.asks_about_targets:
        _build_target_questions(invitation)
    return invitation


def _email_context(invitation: Invitation, *, link: str) -> dict[str, Any]:
    sender = invitation.sender or invitation.placement.owner
    return {
        "first_name": invitation.person.first_name,
        "owner_name": sender.display_name,
        "owner_first_name": sender.first_name or sender.display_name,
        "owner_phone": sender.phone,
        "owner_email": sender.email,
        "owner_hours": sender.available_hours,
        "personal_page_url": personal_page_url(invitation.person),
        "company": invitation.placement.company.name,
        "role": invitation.placement.role_title,
        "candidate_name": invitation.placement.person.full_name,
        "is_client": invitation.person_id != invitation.placement.person_id,
        "questionnaire": invitation.questionnaire.title,
        "question_count": sum(1 for q in invitation.all_questions() if q.show_if_id is None),
        "link": link,
        "expires_on": timezone.localtime(invitation.expires_at).date(),
    }


def render_invitation(
    invitation: Invitation, *, note: str = "", subject: str = "", reminder: bool = False
) -> Email:
    """Subject, text and HTML of an invitation (or its reminder) with a fresh signed link;
    a `subject` given replaces the default one. A reminder repeats the subject the
    invitation went out with, after "Reminder: "."""
    context = _email_context(invitation, link=invitation_url(invitation))
    context.update(note=note, subject=subject)
    return compose("reminder" if reminder else "invitation", context)


def _step_words(
    touchpoint: Touchpoint, questionnaire: Questionnaire, *, sent_on: dt.date
) -> tuple[str, str]:
    """The subject and note the plan step wrote, filled in (admin text: a loader-less engine).
    A step without a subject of its own uses the questionnaire's public title, never the
    step's title, which is the team's name for it."""
    context = Context(checkin_context(touchpoint, sent_on=sent_on), autoescape=False)
    subject = STEP_ENGINE.from_string(touchpoint.email_subject or questionnaire.title)
    body = STEP_ENGINE.from_string(touchpoint.email_body) if touchpoint.email_body else None
    return one_line(subject.render(context)), body.render(context).strip() if body else ""


def invite_for_touchpoint(
    *, touchpoint: Touchpoint, now: dt.datetime, send_after: dt.datetime
) -> OutboxMessage | None:
    """Invite the touchpoint's person to its step's questionnaire and queue the email.

    Called by the worker's tick inside the transaction that marked the touchpoint done.
    The email keeps the touchpoint's own words (copied from the plan step) as the
    consultant's note and adds the link. The outbox key is the touchpoint's, so a
    touchpoint is never emailed twice. None when there is no questionnaire to send or
    the message exists already.
    """
    step = touchpoint.step
    questionnaire = step.questionnaire if step is not None else None
    placement = touchpoint.placement
    if questionnaire is None or placement is None:
        return None
    invitation = Invitation.objects.filter(touchpoint=touchpoint).first()
    if invitation is None:
        invitation = create_invitation(
            placement=placement,
            person=touchpoint.person,
            questionnaire=questionnaire,
            sender=touchpoint.owner,
            touchpoint=touchpoint,
            now=now,
        )
    subject, note = _step_words(
        touchpoint, questionnaire, sent_on=timezone.localtime(send_after).date()
    )
    subject, text, html = render_invitation(
        invitation, note=note or questionnaire.intro, subject=subject
    )
    message = queue_email(
        key=f"touchpoint:{touchpoint.pk}",
        to_email=touchpoint.person.email.strip(),
        subject=subject,
        body_text=text,
        body_html=html,
        from_email=personal_from(touchpoint.owner),
        reply_to=personal_reply_to(touchpoint.owner),
        send_after=send_after,
        person=touchpoint.person,
        touchpoint=touchpoint,
    )
    if message is not None:
        Invitation.objects.filter(pk=invitation.pk).update(sent_at=send_after, subject=subject)
    return message


def send_reminders(*, now: dt.datetime, send_after: dt.datetime | None = None) -> int:
    """One polite reminder for invitations unanswered the agency's reminder days after sending.

    Never after the link expired (nor within a day of it) and never once answered; the
    conditional UPDATE of reminded_at and the outbox key make it once per invitation.
    Returns how many reminders were queued.
    """
    send_after = send_after or now
    due = (
        Invitation.objects.filter(
            answered_at__isnull=True,
            reminded_at__isnull=True,
            sent_at__lte=now - dt.timedelta(days=reminder_days()),
            expires_at__gt=now + dt.timedelta(days=1),
        )
        .exclude(person__email="")
        .order_by("id")
        .values_list("id", flat=True)
    )
    queued = 0
    for pk in list(due[:500]):
        with transaction.atomic():
            taken = Invitation.objects.filter(
                pk=pk, answered_at__isnull=True, reminded_at__isnull=True
            ).update(reminded_at=now)
            if taken != 1:
                continue
            invitation = Invitation.objects.select_related(
                "person",
                "placement__company",
                "placement__person",
                "placement__owner",
                "questionnaire",
                "sender",
            ).get(pk=pk)
            subject, text, html = render_invitation(
                invitation, subject=invitation.subject, reminder=True
            )
            sender = invitation.sender or invitation.placement.owner
            message = queue_email(
                key=f"invitation:{pk}:reminder",
                to_email=invitation.person.email.strip(),
                subject=subject,
                body_text=text,
                body_html=html,
                from_email=personal_from(sender),
                reply_to=personal_reply_to(sender),
                send_after=send_after,
                person=invitation.person,
                touchpoint=invitation.touchpoint,
            )
            queued += message is not None
    forget_old_counts(now=now)
    return queued


# --- Answers -------------------------------------------------------------------------------------


@dataclass
class Given:
    """One answer as the form cleaned it."""

    number: Decimal | None = None
    text: str = ""
    choices: list[str] = field(default_factory=list)


class AlreadyAnswered(Exception):
    pass


def is_shown(question: Question, given: dict[int, Given]) -> bool:
    """A follow-up is asked only when its trigger question's answer is one of its values."""
    if question.show_if_id is None:
        return True
    answer = given.get(question.show_if_id)
    if answer is None:
        return False
    values = set(question.trigger_values)
    said = {answer.text} | set(answer.choices)
    if answer.number is not None:
        said.add(str(int(answer.number)))
    return bool(values & said)


def record_response(
    *,
    invitation: Invitation,
    given: dict[int, Given],
    now: dt.datetime | None = None,
) -> Response:
    """Store a person's answers once; AlreadyAnswered if the invitation has a response.

    `given` maps question ids of this invitation to answers; unanswered and hidden
    follow-ups are not stored. After commit, fall-off risk hears of it.
    """
    now = now or timezone.now()
    questions = {q.pk: q for q in invitation.all_questions()}
    with transaction.atomic():
        taken = Invitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(
            answered_at=now
        )
        if taken != 1:
            raise AlreadyAnswered()
        response = Response.objects.create(
            invitation=invitation,
            placement_id=invitation.placement_id,
            person_id=invitation.person_id,
            questionnaire_id=invitation.questionnaire_id,
            submitted_at=now,
        )
        Answer.objects.bulk_create(
            Answer(
                response=response,
                question_id=pk,
                value_number=answer.number,
                value_text=answer.text,
                value_choices=answer.choices,
            )
            for pk, answer in given.items()
            if pk in questions
            and is_shown(questions[pk], given)
            and (answer.number is not None or answer.text or answer.choices)
        )
        # Answering is contact: they wrote to us, however the question reached them.
        record_contact(person=invitation.person, at=now)
        # An unsent reminder must not ask someone who has just answered.
        OutboxMessage.objects.filter(
            key=f"invitation:{invitation.pk}:reminder", state=OutboxMessage.State.PENDING
        ).update(state=OutboxMessage.State.CANCELLED)
        response_id = response.pk
        # Signals listen for this and weigh the answers into the placement's risk.
        events.emit(
            events.QUESTIONNAIRE_ANSWERED,
            {
                "response_id": response_id,
                "questionnaire_id": invitation.questionnaire_id,
                "placement_id": invitation.placement_id,
                "person_id": invitation.person_id,
            },
        )
    invitation.answered_at = now
    return response


# --- Reading answers back ----------------------------------------------------------------------


def target_record(placement: Placement) -> list[dict[str, Any]]:
    """Per agreed target, the client's answers over time, oldest first.

    [{"target": Target, "answers": [{"submitted_at", "status", "label", "number",
    "response_id"}]}]; status is met, on_track or behind.
    """
    targets = list(placement.targets.order_by("id"))
    codes = {f"target:{t.pk}": t for t in targets}
    rows: dict[int, list[dict[str, Any]]] = {t.pk: [] for t in targets}
    answers = (
        Answer.objects.filter(response__placement=placement, question__code__in=list(codes))
        .select_related("question", "response")
        .order_by("response__submitted_at", "id")
    )
    for answer in answers:
        number = answer.value_number
        rows[codes[answer.question.code].pk].append(
            {
                "submitted_at": answer.response.submitted_at,
                "status": answer.value_text,
                "label": answer.question.label_for(answer.value_text),
                "number": f"{number.normalize():f}" if number is not None else None,
                "response_id": answer.response_id,
            }
        )
    return [{"target": t, "answers": rows[t.pk]} for t in targets]


def score_summary(responses: QuerySet[Response]) -> list[dict[str, Any]]:
    """Average NPS and ratings per question code and audience over `responses`."""
    rows = list(
        Answer.objects.filter(
            response__in=responses,
            question__kind__in=(Question.Kind.NPS, Question.Kind.RATING),
            value_number__isnull=False,
        )
        .values("question__code", "question__kind", "response__questionnaire__audience")
        .annotate(average=Avg("value_number"), answers=Count("id"), label=Min("question__label"))
        .order_by("response__questionnaire__audience", "question__kind", "question__code")
    )
    return [
        {
            "code": row["question__code"],
            "label": row["label"],
            "audience": Audience(row["response__questionnaire__audience"]).label,
            "average": row["average"],
            "top": 10 if row["question__kind"] == Question.Kind.NPS else 5,
            "answers": row["answers"],
        }
        for row in rows
    ]
