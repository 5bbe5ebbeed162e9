"""Answering a questionnaire is contact: a person's last contact takes in the answers
given before it counted them (it moves forward only)."""

from typing import Any

from django.db import migrations
from django.db.models import F, OuterRef, Q, Subquery


def answers_count_as_contact(apps: Any, schema_editor: Any) -> None:
    person_model = apps.get_model("people", "Person")
    response_model = apps.get_model("surveys", "Response")
    latest = Subquery(
        response_model.objects.filter(person=OuterRef("pk"))
        .order_by("-submitted_at")
        .values("submitted_at")[:1]
    )
    colder = (
        person_model.objects.annotate(answered=latest)
        .filter(answered__isnull=False)
        .filter(Q(last_contacted_at__isnull=True) | Q(last_contacted_at__lt=F("answered")))
    )
    person_model.objects.filter(pk__in=colder.values("pk")).update(last_contacted_at=latest)


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0003_submitcount_to_lib"),
        ("people", "0007_email_failed"),
    ]

    operations = [
        migrations.RunPython(answers_count_as_contact, migrations.RunPython.noop, elidable=True)
    ]
