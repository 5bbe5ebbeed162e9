"""Upgrading copies each message's placement from its touchpoint, and a daily step copies
it for messages the release before queued while servers switched over: Sent mail keeps
showing a message about a colleague's placement to them alone."""

from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from keepwarm.conftest import Cast
from keepwarm.mail.models import OutboxMessage
from keepwarm.mail.services.outbox import copy_missing_placements
from keepwarm.mail.tests.factories import make_checkin, queue_plain
from keepwarm.mail.tests.test_sent_mail_page import DUE, MORNING
from keepwarm.worker.tick import tick


def test_messages_sent_before_the_upgrade_keep_their_placement(
    cast: Cast, transactional_db: None
) -> None:
    checkin = make_checkin(cast, due_on=DUE)
    tick(now=MORNING, worker_id="test")
    queue_plain(1, send_after=MORNING)  # about no touchpoint: about no placement
    executor = MigrationExecutor(connection)
    executor.migrate([("mail", "0008_outbox_newest")])
    executor.loader.build_graph()
    executor.migrate([("mail", "0009_sent_mail_from_its_indexes")])

    about = dict(OutboxMessage.objects.values_list("key", "placement_id"))
    assert about == {f"touchpoint:{checkin.pk}": cast.placement.pk, "test:1": None}


def test_a_message_the_release_before_queued_is_given_its_placement_next_day(
    cast: Cast,
) -> None:
    checkin = make_checkin(cast, due_on=DUE)
    tick(now=MORNING, worker_id="test")
    # What the release before wrote while the servers switched over: no placement.
    OutboxMessage.objects.update(placement=None)
    older = queue_plain(1, send_after=MORNING)
    assert copy_missing_placements(now=timezone.now()) == "1 message given their placement"
    assert OutboxMessage.objects.get(touchpoint=checkin).placement_id == cast.placement.pk
    assert OutboxMessage.objects.get(pk=older.pk).placement_id is None
