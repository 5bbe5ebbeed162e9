"""The week-one check-in wished a good weekend whatever day it went out (a Monday, when the
placement started on one): its sign-off now depends on whether a weekend comes next."""

from django.db import migrations

OLD = "Have a good weekend,\n"
NEW = "{% if weekend_next %}Have a good weekend{% else %}All the best{% endif %},\n"


def forwards(apps, schema_editor):
    for model, rows in (
        ("PlanStep", {}),
        ("Touchpoint", {"state": "planned"}),
    ):
        Model = apps.get_model("care", model)
        for row in Model.objects.filter(email_body__contains=OLD, **rows).only("email_body"):
            row.email_body = row.email_body.replace(OLD, NEW)
            row.save(update_fields=["email_body"])


def backwards(apps, schema_editor):
    for model in ("PlanStep", "Touchpoint"):
        Model = apps.get_model("care", model)
        for row in Model.objects.filter(email_body__contains=NEW).only("email_body"):
            row.email_body = row.email_body.replace(NEW, OLD)
            row.save(update_fields=["email_body"])


class Migration(migrations.Migration):
    dependencies = [("care", "0011_closure")]

    operations = [migrations.RunPython(forwards, backwards)]
