"""Ship the default questionnaires from aftercare practice and name them in the default plans.

Candidate check-ins at months 1, 3, 6 and 12 share one questionnaire on purpose: the
same questions each time let a drop between answers be seen. The client check-in asks
about each agreed target of the placement by name; those questions are built when the
invitation is made (Question.invitation), from the placement's targets.

The "how did we do?" questionnaires are not in a default plan (the plans follow the
agreed cadence); an admin adds a questionnaire step that names them where wanted.

Question codes are stable names that reports and fall-off risk read (nps,
expectations_met, see_in_a_year, ...); admins may reword the labels freely.
"""

from django.db import migrations

YES_NO = "yes_no"


def q(code, kind, label, *, help="", required=True, choices=(), show_if=None, when="",
      number_label=""):
    return {
        "code": code,
        "kind": kind,
        "label": label,
        "help": help,
        "required": required,
        "choices": [{"value": v, "label": lab} for v, lab in choices],
        "show_if": show_if,
        "show_if_values": when,
        "number_label": number_label,
    }


def follow_up(code, label, *, after, when="no"):
    return q(code, "text", label, required=False, show_if=after, when=when)


YES_NOT_SURE_NO = [("yes", "Yes"), ("not_sure", "Not sure"), ("no", "No")]

CANDIDATE_WEEK_1 = {
    "code": "candidate-week-1",
    "name": "Candidate: first week",
    "audience": "candidate",
    "intro": "A few quick questions about your first week. Your answers go to your consultant "
    "only, and help them sort out anything small before it becomes something big.",
    "thanks": "Thank you! If anything needs a quick word, your consultant will be in touch.",
    "questions": [
        q("settling_in", "rating", "How are you settling in?"),
        q("expectations_met", YES_NO, "So far, is the job what you expected?"),
        follow_up("expectations_detail", "What has not matched your expectations?",
                  after="expectations_met"),
        q("teething_problems", YES_NO,
          "Have you hit any teething problems (equipment, access, training, payroll)?"),
        follow_up("teething_detail", "What has got in the way?", after="teething_problems",
                  when="yes"),
        q("knows_whom_to_ask", YES_NO, "Do you know whom to ask when you need help?"),
        q("first_impressions", "text", "What are your first impressions of the team and "
          "the work?", required=False),
        q("concerns", "text", "Is there anything I can help with?", required=False),
    ],
}

CANDIDATE_CHECK_IN = {
    "code": "candidate-check-in",
    "name": "Candidate: check-in (months 1, 3, 6 and 12)",
    "audience": "candidate",
    "intro": "A few questions about how the job is going, so we can help early if "
    "anything is not right. It takes about two minutes; your answers go to your consultant.",
    "thanks": "Thank you for taking the time. Your consultant reads every answer.",
    "questions": [
        q("satisfaction_job", "rating", "How happy are you with the job itself?"),
        q("satisfaction_manager", "rating", "How happy are you with your manager and team?"),
        q("environment", "rating", "How do you find the work environment?"),
        q("worklife", "rating", "How is your work–life balance?"),
        q("hours_as_agreed", YES_NO, "Are your hours what was agreed?"),
        follow_up("hours_detail", "What is different about the hours?", after="hours_as_agreed"),
        q("duties_as_agreed", YES_NO, "Are your duties what was agreed?"),
        follow_up("duties_detail", "What is different about the duties?",
                  after="duties_as_agreed"),
        q("expectations_met", YES_NO, "Does the job live up to your expectations?"),
        follow_up("expectations_detail", "What has not matched your expectations?",
                  after="expectations_met"),
        q("see_in_a_year", "choice", "Do you see yourself there in a year's time?",
          choices=YES_NOT_SURE_NO),
        q("nps", "nps", "How likely are you to recommend us to a friend looking for work?",
          help="0 = not at all likely, 10 = extremely likely"),
        q("concerns", "text", "Is there anything your consultant can help with?",
          required=False),
    ],
}

CLIENT_CHECK_IN = {
    "code": "client-check-in",
    "name": "Client: performance and terms",
    "audience": "client",
    "intro": "A few questions about how your new starter is doing against what was agreed. "
    "It takes about two minutes and helps us put anything right early.",
    "thanks": "Thank you. If anything needs attention, we will be in touch shortly.",
    "asks_about_targets": True,
    "questions": [
        q("performance", "rating", "How would you rate their performance overall?"),
        q("fit_team", "rating", "How well do they fit in with the team?"),
        q("terms_kept_candidate", YES_NO,
          "Are they working to the agreed terms (hours, responsibilities)?"),
        follow_up("terms_candidate_detail", "What is not as agreed?",
                  after="terms_kept_candidate"),
        q("terms_kept_client", YES_NO,
          "Are the agreed terms being kept on your side (pay, hours, duties, training)?",
          help="An honest answer helps us keep the placement on track for both sides."),
        follow_up("terms_client_detail", "What has changed?", after="terms_kept_client"),
        q("has_concerns", YES_NO, "Do you have any concerns about the placement?"),
        follow_up("client_concerns", "What concerns you?", after="has_concerns", when="yes"),
        q("would_hire_again", "nps", "How likely are you to hire through us again?",
          help="0 = not at all likely, 10 = extremely likely"),
        q("new_roles", YES_NO, "Are any new roles coming up in your team?"),
        follow_up("new_roles_detail", "Tell us a little about them (optional).",
                  after="new_roles", when="yes"),
    ],
}


def how_did_we_do(code, name, audience, about):
    return {
        "code": code,
        "name": name,
        "audience": audience,
        "intro": "How did we do? Four short questions about your consultant and the agency.",
        "thanks": "Thank you — we read every answer, and we act on them.",
        "questions": [
            q("consultant_rating", "rating", "How would you rate your consultant?"),
            q("nps", "nps", f"How likely are you to recommend us to {about}?",
              help="0 = not at all likely, 10 = extremely likely"),
            q("went_well", "text", "What did we do well?", required=False),
            q("do_better", "text", "What could we do better?", required=False),
        ],
    }


QUESTIONNAIRES = [
    CANDIDATE_WEEK_1,
    CANDIDATE_CHECK_IN,
    CLIENT_CHECK_IN,
    how_did_we_do("candidate-feedback", "Candidate: how did we do?", "candidate",
                  "a friend looking for work"),
    how_did_we_do("client-feedback", "Client: how did we do?", "client",
                  "a colleague who is hiring"),
]

# (plan name, step title) -> questionnaire code, for the plans shipped in care 0004.
STEP_QUESTIONNAIRES = {
    ("Permanent placement", "Week-one check-in"): "candidate-week-1",
    ("Permanent placement", "One-month check-in"): "candidate-check-in",
    ("Permanent placement", "Three-month check-in"): "candidate-check-in",
    ("Permanent placement", "Six-month check-in"): "candidate-check-in",
    ("Permanent placement", "One-year check-in"): "candidate-check-in",
    ("Permanent placement", "Client check-in at one month"): "client-check-in",
    ("Permanent placement", "Client check-in at three months"): "client-check-in",
    ("Permanent placement", "Client check-in before the guarantee ends"): "client-check-in",
    ("Contractor", "Mid-assignment check-in"): "candidate-check-in",
    ("Contractor", "Client check-in"): "client-check-in",
}

def add_questionnaires(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    Question = apps.get_model("surveys", "Question")
    PlanStep = apps.get_model("care", "PlanStep")
    made = {}
    for spec in QUESTIONNAIRES:
        spec = dict(spec)
        questions = spec.pop("questions")
        questionnaire, created = Questionnaire.objects.get_or_create(
            code=spec["code"], defaults=spec
        )
        made[spec["code"]] = questionnaire
        if not created:
            continue
        by_code = {}
        for index, fields in enumerate(questions):
            fields = dict(fields)
            parent = fields.pop("show_if")
            by_code[fields["code"]] = Question.objects.create(
                questionnaire=questionnaire,
                order=(index + 1) * 10,
                show_if=by_code[parent] if parent else None,
                **fields,
            )

    for (plan_name, title), code in STEP_QUESTIONNAIRES.items():
        PlanStep.objects.filter(
            plan__name=plan_name, title=title, kind="questionnaire", questionnaire__isnull=True
        ).update(questionnaire=made[code])


def remove_questionnaires(apps, schema_editor):
    Questionnaire = apps.get_model("surveys", "Questionnaire")
    PlanStep = apps.get_model("care", "PlanStep")
    codes = [spec["code"] for spec in QUESTIONNAIRES]
    PlanStep.objects.filter(questionnaire__code__in=codes).update(questionnaire=None)
    Questionnaire.objects.filter(code__in=codes, invitations__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("surveys", "0001_initial"),
        ("care", "0005_planstep_questionnaire"),
    ]

    operations = [migrations.RunPython(add_questionnaires, remove_questionnaires)]
