from django.db import migrations


def add_defaults(apps, schema_editor):
    rule = apps.get_model("privacy", "RetentionRule")
    if rule.objects.exists():
        return
    # Unplaced candidates: two years without contact is the usual agency practice (and
    # what the privacy notice says); everyone else is reviewed after six, the limitation
    # period for contract claims.
    rule.objects.create(category="unplaced", years=2, action="flag", reask_days=30)
    rule.objects.create(category="everyone", years=6, action="flag", reask_days=0)


class Migration(migrations.Migration):
    dependencies = [("privacy", "0002_retentionrule_retentionevent")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
