"""The submission counter now belongs to lib (lib's 0001); its table stays where it is."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0002_default_questionnaires"),
        ("lib", "0001_submitcount_from_surveys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="SubmitCount")],
            database_operations=[],
        ),
    ]
