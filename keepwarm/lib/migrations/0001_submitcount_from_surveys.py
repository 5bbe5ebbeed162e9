"""The submission counter moves from surveys to lib, where every rate limit can use it.

The table stays as it is (surveys_submitcount); only Django's record of which app owns
the model changes, here and in surveys' 0003.
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [("surveys", "0002_default_questionnaires")]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="SubmitCount",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("key", models.CharField(max_length=100)),
                        ("window_start", models.DateTimeField()),
                        ("count", models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        "db_table": "surveys_submitcount",
                        "constraints": [
                            models.UniqueConstraint(
                                fields=("key", "window_start"), name="submit_count_window"
                            )
                        ],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
