"""Ship the default care plans from recruiting practice: permanent and contractor.

Plans are ordinary rows: admins edit them, and placements get copies of the steps as
touchpoints, so editing a plan later never rewrites what a placement already has.
Email bodies are plain text in the owner's voice; {{ first_name }}, {{ company }},
{{ role }} and {{ owner_name }} are filled in when the message is rendered.
"""

from django.db import migrations

PERMANENT = "Permanent placement"
CONTRACTOR = "Contractor"


def step(title, kind, *, audience="candidate", anchor="start", days=0, months=0,
         every=None, until=None, subject="", body=""):
    return {
        "title": title,
        "kind": kind,
        "audience": audience,
        "anchor": anchor,
        "offset_days": days,
        "offset_months": months,
        "repeat_every_months": every,
        "repeat_until_months": until,
        "email_subject": subject,
        "email_body": body.strip() + "\n" if body else "",
    }


def candidate_check_in(title, months=0, days=0, *, subject, body):
    return step(title, "questionnaire", months=months, days=days, subject=subject, body=body)


def client_check_in(title, *, subject, body, months=0, days=0, anchor="start"):
    return step(title, "questionnaire", audience="client", anchor=anchor, months=months,
                days=days, subject=subject, body=body)


PERMANENT_STEPS = [
    step("Call before they start", "call", days=-2),
    step("Week-one call", "call", days=3),
    candidate_check_in(
        "Week-one check-in", days=7,
        subject="How was your first week at {{ company }}?",
        body="""
Hi {{ first_name }},

You've made it through your first week as {{ role }} at {{ company }} — congratulations.

How has it been? I'd love to hear what's gone well and whether anything has surprised
you, good or bad. Just hit reply; a couple of lines is plenty, and it stays between us.

Have a good weekend,
{{ owner_name }}
""",
    ),
    candidate_check_in(
        "One-month check-in", months=1,
        subject="A month in at {{ company }}",
        body="""
Hi {{ first_name }},

It's been a month since you started at {{ company }}, so I wanted to check in.

Is the {{ role }} role what we talked about? Are you getting the support and training
you need? If anything isn't quite right, tell me now — it's much easier to sort out
early, and I'm happy to have a quiet word on your behalf.

Best wishes,
{{ owner_name }}
""",
    ),
    candidate_check_in(
        "Three-month check-in", months=3,
        subject="Three months at {{ company }} — how's it going?",
        body="""
Hi {{ first_name }},

Three months already! By now you'll have a good feel for {{ company }} and for the
{{ role }} role.

How are you finding it? How are things going against what was agreed when you started?
I'd really like to hear — just reply to this email.

All the best,
{{ owner_name }}
""",
    ),
    candidate_check_in(
        "Six-month check-in", months=6,
        subject="Half a year at {{ company }}",
        body="""
Hi {{ first_name }},

It's six months since you started at {{ company }} — time flies. I hope it's going well.

If you have a minute, I'd love a quick update: what you're enjoying, what you're working
towards next. And if you know anyone who's looking for their next move, I'd be glad
to help them too.

Best,
{{ owner_name }}
""",
    ),
    candidate_check_in(
        "One-year check-in", months=12,
        subject="Happy first anniversary at {{ company }}!",
        body="""
Hi {{ first_name }},

A year ago you started as {{ role }} at {{ company }}. Happy work anniversary!

I'd love to hear how the year has been and where you'd like to go from here. Whatever
the next step is — now or in a few years — I'm always happy to talk it through.

Warm wishes,
{{ owner_name }}
""",
    ),
    client_check_in(
        "Client check-in at one month", months=1,
        subject="{{ role }}: one month in",
        body="""
Hi {{ first_name }},

It's a month since your new {{ role }} started with you at {{ company }}, so I wanted
to check in.

How are they settling in? Is the work and performance where you'd expect at this
stage, and are the agreed hours and responsibilities working for both sides? If
anything needs attention, reply here or give me a call — early is always easiest.

Kind regards,
{{ owner_name }}
""",
    ),
    client_check_in(
        "Client check-in at three months", months=3,
        subject="{{ role }}: three months in",
        body="""
Hi {{ first_name }},

Your {{ role }} has now been with {{ company }} for three months. How are they getting
on against the targets you agreed, and is there anything you'd like them (or me) to
know?

I'd really value a quick reply, even a line or two.

Kind regards,
{{ owner_name }}
""",
    ),
    client_check_in(
        "Client check-in before the guarantee ends", anchor="guarantee_end", days=-7,
        subject="{{ role }}: the guarantee period ends next week",
        body="""
Hi {{ first_name }},

Just a note that the guarantee period for your {{ role }} placement ends in a week.

Are you happy with how things are going? If there's anything at all that worries you,
please let me know before then so we can talk it through.

And if the team is growing, I'd be glad to help with your next hire.

Kind regards,
{{ owner_name }}
""",
    ),
    step("Keep-in-touch call", "call", months=1, every=1, until=12),
    step("Quarterly keep-in-touch call", "call", months=15, every=3, until=60),
]

CONTRACTOR_STEPS = [
    step("Call before they start", "call", days=-2),
    step("Week-one call", "call", days=3),
    # Halfway to the end date whatever the contract's length; skipped without an end date.
    candidate_check_in(
        "Mid-assignment check-in", subject="Halfway through at {{ company }}",
        body="""
Hi {{ first_name }},

You're about halfway through your assignment at {{ company }}, so I wanted to see how
it's going.

Is the work what you expected? Anything I can help with? And if you're already thinking
about what comes next, tell me — I'd like to line up your next role before this one ends.

Best,
{{ owner_name }}
""",
    ) | {"anchor": "midpoint"},
    client_check_in(
        "Client check-in", months=1,
        subject="How is your {{ role }} contractor getting on?",
        body="""
Hi {{ first_name }},

Your {{ role }} contractor has been with {{ company }} for a month now. How are they
getting on? Is there anything you'd like changed, or might you need to extend the
assignment?

Kind regards,
{{ owner_name }}
""",
    ),
    step("Call about what's next", "call", anchor="end", days=-14),
]

PLANS = [
    (
        PERMANENT,
        "permanent",
        "Calls around the start, check-ins for the candidate and the hiring manager through "
        "the first year and the guarantee, then keep-in-touch calls monthly in year one and "
        "quarterly for five years.",
        PERMANENT_STEPS,
    ),
    (
        CONTRACTOR,
        "contract",
        "Calls around the start, a mid-assignment check-in, a client check-in at one month, "
        "and a call two weeks before the end date about the next assignment.",
        CONTRACTOR_STEPS,
    ),
]


def add_plans(apps, schema_editor):
    CarePlan = apps.get_model("care", "CarePlan")
    PlanStep = apps.get_model("care", "PlanStep")
    for name, kind, description, steps in PLANS:
        if CarePlan.objects.filter(name=name).exists():
            continue
        has_default = CarePlan.objects.filter(placement_kind=kind, is_default=True).exists()
        plan = CarePlan.objects.create(
            name=name, description=description, placement_kind=kind, is_default=not has_default
        )
        PlanStep.objects.bulk_create(
            PlanStep(plan=plan, order=(i + 1) * 10, **fields) for i, fields in enumerate(steps)
        )


def remove_plans(apps, schema_editor):
    CarePlan = apps.get_model("care", "CarePlan")
    CarePlan.objects.filter(name__in=[PERMANENT, CONTRACTOR]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("care", "0003_midpoint_anchor"),
    ]

    operations = [migrations.RunPython(add_plans, remove_plans)]
