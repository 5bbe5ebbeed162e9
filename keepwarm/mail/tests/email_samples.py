"""A filled-in context for every email in templates/emails, as plain values.

A new email needs a sample here: the tests that render every email fail until it has one.
Names with `&` and `<` on purpose, so any escaping of plain text shows.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

COMPANY = "Brown & Whitehouse <UK>"
SENT_AT = dt.datetime(2026, 3, 9, 9, 5, tzinfo=dt.UTC)

# The consultant an email comes from, as the signature and footer show them.
_CONSULTANT = {
    "owner_name": "Olivia O'Neill",
    "owner_first_name": "Olivia",
    "owner_phone": "0113 496 0000",
    "owner_email": "olivia@agency.example",
    "owner_hours": "Mon–Fri 8:30–18:00",
    "personal_page_url": "https://agency.example/me/link/token/",
}
_QUESTIONS = {
    **_CONSULTANT,
    "first_name": "Priya",
    "company": COMPANY,
    "role": "R&D lead",
    "candidate_name": "Priya Patel",
    "is_client": False,
    "questionnaire": "Month-one check-in",
    "question_count": 4,
    "link": "https://agency.example/q/token/",
    "expires_on": dt.date(2026, 3, 23),
    "note": "",
    "subject": "",
}
_PERSON = {"first_name": "Priya", "source_detail": "", "headline": "Engineer", "skills": ""}

SAMPLES: dict[str, dict[str, Any]] = {
    "alert": {
        "alert": {"reopened_count": 0, "risk_score": 61, "due_at": SENT_AT},
        "placement": {
            "person": {"full_name": "Priya Patel"},
            "role_title": "R&D lead",
            "company": {"name": COMPANY},
            "owner_id": 1,
        },
        "owner": {"pk": 1, "first_name": "Olivia", "username": "olivia"},
        "url": "https://agency.example/alerts/1/",
        "reasons": ["Said the job does not meet expectations"],
    },
    "alert-escalated": {
        "alert": {
            "reopened_count": 0,
            "risk_score": 61,
            "due_at": SENT_AT,
            "owner": {"first_name": "Olivia", "username": "olivia"},
        },
        "placement": {
            "person": {"full_name": "Priya Patel"},
            "role_title": "R&D lead",
            "company": {"name": COMPANY},
        },
        "manager": {"pk": 3, "first_name": "Maggie", "username": "maggie"},
        "hours": 24,
        "url": "https://agency.example/alerts/1/",
        "reasons": ["Said the job does not meet expectations"],
    },
    "checkin": {
        **_CONSULTANT,
        "subject": "How is week one going at Brown & Whitehouse <UK>?",
        "body": "Hi Priya,\n\nHow are you finding it?",
        "company": COMPANY,
        "role": "R&D lead",
    },
    "invitation": _QUESTIONS,
    "reminder": _QUESTIONS,
    "portal-signin": {
        "person": _PERSON,
        "url": "https://agency.example/me/link/token/",
        "minutes": 15,
        "days": None,
        "by": None,
    },
    "privacy-notice": {
        "person": _PERSON,
        "agency": COMPANY,
        "source": "cv-library search",
        "basis": "legitimate interests",
        "obtained": dt.date(2026, 3, 2),
        "owner": None,
        "postal_address": "1 High Street, Leeds",
        "retention_years": 6,
    },
    "retention-ask": {
        "person": _PERSON,
        "agency": COMPANY,
        "url": "https://agency.example/privacy/keep/token/",
        "days": 30,
        "postal_address": "",
    },
    "sign-in-changed": {
        "user": {"pk": 1, "first_name": "Olivia", "username": "olivia"},
        "change": "a new authenticator",
        "by": None,
        "when": SENT_AT,
        "url": "https://agency.example/account/",
    },
    "signup-confirm": {
        "signup": {"first_name": "Sam", "frequency": "monthly"},
        "url": "https://agency.example/subscribe/confirm/token/",
        "days": 7,
    },
}
