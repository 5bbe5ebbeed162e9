"""Ship the default weights (one row per signal kind) and the settings row."""

from __future__ import annotations

from typing import Any

from django.db import migrations

# Copied, not imported: a migration must keep working when the code's defaults change.
WEIGHTS = [
    ("might_leave", "Says they might leave", 0.50,
     "A comment says they are thinking of leaving or looking elsewhere."),
    ("not_in_a_year", "Does not see themselves there in a year", 0.40,
     'Answered "no" to seeing themselves there in a year.'),
    ("expectations_not_met", "Job does not meet expectations", 0.35,
     'Answered "no" to the job living up to expectations.'),
    ("terms_breach", "Terms not kept by one side", 0.30,
     "Either side says the other has not kept the agreed terms."),
    ("client_concern", "Client has a concern", 0.30, "The client raised a concern."),
    ("terms_not_as_agreed", "Hours or duties not as agreed", 0.25,
     "The candidate says hours or duties are not as agreed."),
    ("detractor_nps", "Would not recommend us (NPS 0–6)", 0.25,
     "Would recommend us 0 to 6 out of 10."),
    ("score_drop", "Scores dropped since last time", 0.20,
     "NPS or the average rating fell by 2 or more since the last answers."),
    ("targets_behind", "Targets behind", 0.20, "The client says a target is behind."),
    ("would_not_hire_again", "Client would not hire through us again", 0.20,
     "The client would hire through us again 0 to 6 out of 10."),
    ("negative_text", "Negative comment", 0.20,
     "A free-text answer reads as negative (VADER sentiment)."),
    ("low_rating", "Low rating (1–2 of 5)", 0.15,
     "A rating of 1 or 2 out of 5, counted per question."),
    ("long_silence", "No contact for a long time", 0.15,
     "No contact with the placed person for the silence period."),
    ("unanswered", "Check-in not answered or call missed", 0.10,
     "A check-in expired unanswered or a call was missed, counted each."),
    ("manual", "Raised by a consultant", 0.40, "A consultant flagged the placement."),
]


def forwards(apps: Any, schema_editor: Any) -> None:
    RiskWeight = apps.get_model("signals", "RiskWeight")
    RiskSettings = apps.get_model("signals", "RiskSettings")
    for kind, label, weight, explanation in WEIGHTS:
        RiskWeight.objects.get_or_create(
            kind=kind, defaults={"label": label, "weight": weight, "explanation": explanation}
        )
    RiskSettings.objects.get_or_create(pk=1)


class Migration(migrations.Migration):
    dependencies = [("signals", "0001_initial")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
