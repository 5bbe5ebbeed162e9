"""The care plan's steps called off when a placement ended were stored without a time of
their own, so the person's timeline placed them at their due dates, years ahead, above
everything that happened. They now take the day the placement ended, in the working day
(09:00, as the timeline places any skip without a time); those skipped by hand already had
one."""

import datetime as dt
from collections import defaultdict

from django.db import migrations
from django.utils import timezone

PLACEMENT_ENDED = "Placement ended"  # as care.services.placements wrote it
BATCH = 1000


def date_the_called_off_steps(apps, schema_editor):
    Touchpoint = apps.get_model("care", "Touchpoint")
    undated = Touchpoint.objects.filter(
        state="skipped",
        skip_reason=PLACEMENT_ENDED,
        done_at__isnull=True,
        placement__left_on__isnull=False,
    )
    by_day = defaultdict(list)
    for pk, left_on in undated.values_list("pk", "placement__left_on").iterator():
        by_day[left_on].append(pk)
    for day, ids in by_day.items():
        moment = timezone.make_aware(dt.datetime.combine(day, dt.time(9)))
        for start in range(0, len(ids), BATCH):
            Touchpoint.objects.filter(pk__in=ids[start : start + BATCH]).update(done_at=moment)


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0012_weekend_wording"),
        ("placements", "0006_placement_visibility_indexes"),
    ]

    # Backwards leaves the times: a step called off on the day its placement ended is
    # what happened, whichever code reads it.
    operations = [migrations.RunPython(date_the_called_off_steps, migrations.RunPython.noop)]
