"""Receivers' answers recorded before the log kept only a short printable excerpt are
cut down the same way, so no page shows a stored raw dump."""

from typing import Any

from django.db import migrations

from keepwarm.lib.outbound import excerpt

LIMIT = 200  # integrations.services.EXCERPT_CHARS when this was written


def shorten(apps: Any, schema_editor: Any) -> None:
    for name in ("WebhookDelivery", "WebhookAttempt"):
        model = apps.get_model("integrations", name)
        changed = []
        for row in model.objects.exclude(response_excerpt="").only("response_excerpt").iterator():
            short = excerpt(row.response_excerpt.encode(), limit=LIMIT)
            if short != row.response_excerpt:
                row.response_excerpt = short
                changed.append(row)
            if len(changed) >= 500:
                model.objects.bulk_update(changed, ["response_excerpt"])
                changed = []
        model.objects.bulk_update(changed, ["response_excerpt"])


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial")]

    operations = [migrations.RunPython(shorten, migrations.RunPython.noop)]
