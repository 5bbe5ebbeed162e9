"""People recorded with no role at all (through the API before it gave a new person a
role) were in no ranking: matching considers candidates and placed people. They become
candidates from the day they were recorded, which is what the API meant them to be.

Left as they are: erased records, and people who only signed up for the newsletter on the
website (they asked for news, not for work).
"""

from django.db import migrations

NEWSLETTER_SIGNUP_NOTE = "Signed up for the newsletter on the website."


def give_roles(apps, schema_editor):  # type: ignore[no-untyped-def]
    Person = apps.get_model("people", "Person")
    Role = apps.get_model("people", "Role")
    roleless = (
        Person.objects.filter(roles__isnull=True, erased_at__isnull=True)
        .exclude(notes=NEWSLETTER_SIGNUP_NOTE)
        .values_list("id", "created_at")
    )
    Role.objects.bulk_create(
        (
            Role(person_id=pk, kind="candidate", started_on=created.date())
            for pk, created in list(roleless)
        ),
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("people", "0007_email_failed")]

    operations = [migrations.RunPython(give_roles, migrations.RunPython.noop)]
