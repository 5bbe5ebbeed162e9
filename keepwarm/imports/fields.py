"""What each kind of row can hold, the Bullhorn layout of those fields, and cell parsing.

Rows from any file become dicts of these field names before anything is matched or saved,
so Bullhorn files and other CSVs share one importer.
"""

from __future__ import annotations

import datetime as dt
import difflib
import hashlib
import html
import re
from collections.abc import Iterable
from decimal import Decimal, InvalidOperation
from typing import Any

import nh3

from keepwarm.imports.models import Entity
from keepwarm.lib.phones import InvalidPhone, normalise_phone

# field -> label shown on the mapping screen
PERSON_FIELDS = {
    "external_id": "Id in the other system",
    "first_name": "First name",
    "last_name": "Last name",
    "name": "Full name",
    "email": "Email",
    "phone": "Phone",
    "mobile": "Mobile",
    "location": "Location (city)",
    "sector": "Sector",
    "headline": "Job title / headline",
    "skills": "Skills",
    "owner": "Owner (consultant)",
    "notes": "Notes",
    "added_on": "Date added",
}
FIELDS: dict[str, dict[str, str]] = {
    Entity.COMPANY: {
        "external_id": "Id in the other system",
        "name": "Company name",
        "sector": "Sector / industry",
        "location": "Location (city)",
        "website": "Website",
        "phone": "Phone",
        "email": "Email",
        "guarantee_length": "Guarantee (days)",
        "owner": "Owner (consultant)",
        "learnt": "Notes",
    },
    Entity.CANDIDATE: PERSON_FIELDS,
    Entity.CONTACT: {
        **PERSON_FIELDS,
        "company_external_id": "Company id in the other system",
        "company_name": "Company name",
        "title": "Job title",
    },
    Entity.JOB: {
        "external_id": "Id in the other system",
        "title": "Job title",
        "company_external_id": "Company id in the other system",
        "company_name": "Company name",
        "contact_external_id": "Hiring manager id in the other system",
        "owner": "Owner (consultant)",
        "kind": "Employment type",
        "status": "Status",
        "open": "Open (true or false)",
        "skills": "Skills",
        "sector": "Sector",
        "location": "Location (city)",
        "salary": "Salary or range",
        "description": "Description",
    },
    Entity.PLACEMENT: {
        "external_id": "Id in the other system",
        "person_external_id": "Candidate id in the other system",
        "person_email": "Candidate email",
        "job_external_id": "Job id in the other system",
        "company_external_id": "Company id in the other system",
        "company_name": "Company name",
        "contact_external_id": "Hiring manager id in the other system",
        "role_title": "Job title",
        "start_date": "Start date",
        "end_date": "End date",
        "status": "Status",
        "kind": "Employment type",
        "salary": "Salary",
        "fee": "Fee",
        "guarantee_length": "Guarantee (days)",
        "left_on": "Left on",
        "leave_reason": "Reason for leaving",
        "owner": "Owner (consultant)",
    },
    Entity.NOTE: {
        "external_id": "Id in the other system",
        "person_external_id": "Candidate id in the other system",
        "contact_external_id": "Client contact id in the other system",
        "person_email": "Person's email",
        "action": "Action (call, meeting…)",
        "text": "Note text",
        "added_on": "Date",
    },
}
# Several values in one cell: these keep all of them, the rest keep the first.
LIST_FIELDS = {"skills", "sector", "notes", "learnt", "text"}
# Kept as written, ';' and all: a job description is HTML, with entities (&amp;) and styles.
WHOLE_FIELDS = {"description"}

# Bullhorn's REST field paths, as its data loader writes them in the header row.
BULLHORN: dict[str, dict[str, str]] = {
    Entity.COMPANY: {
        "externalID": "external_id",
        "name": "name",
        "industryList": "sector",
        "businessSectorList": "sector",
        "address.city": "location",
        "companyURL": "website",
        "phone": "phone",
        "owners.name": "owner",
        "notes": "learnt",
    },
    Entity.CANDIDATE: {
        "externalID": "external_id",
        "firstName": "first_name",
        "lastName": "last_name",
        "name": "name",
        "email": "email",
        "mobile": "mobile",
        "phone": "phone",
        "address.city": "location",
        "businessSectors.name": "sector",
        "occupation": "headline",
        "primarySkills.name": "skills",
        "skillSet": "skills",
        "owner.name": "owner",
        "comments": "notes",
        "dateAdded": "added_on",
    },
    Entity.CONTACT: {
        "externalID": "external_id",
        "firstName": "first_name",
        "lastName": "last_name",
        "name": "name",
        "email": "email",
        "mobile": "mobile",
        "phone": "phone",
        "address.city": "location",
        "occupation": "title",
        "clientCorporation.externalID": "company_external_id",
        "clientCorporation.name": "company_name",
        "owner.name": "owner",
        "comments": "notes",
        "dateAdded": "added_on",
    },
    Entity.JOB: {
        "externalID": "external_id",
        "title": "title",
        "clientCorporation.externalID": "company_external_id",
        "clientContact.externalID": "contact_external_id",
        "owner.name": "owner",
        "employmentType": "kind",
        "status": "status",
        "isOpen": "open",
        "skillList": "skills",
        "skills.name": "skills",
        "businessSectors.name": "sector",
        "categories.name": "sector",
        "address.city": "location",
        "salary": "salary",
        "description": "description",
        "publicDescription": "description",
        "dateAdded": "",
    },
    Entity.PLACEMENT: {
        "externalID": "external_id",
        "candidate.externalID": "person_external_id",
        "jobOrder.externalID": "job_external_id",
        "dateBegin": "start_date",
        "dateEnd": "end_date",
        "status": "status",
        "employmentType": "kind",
        "salary": "salary",
        "fee": "fee",
        "daysGuaranteed": "guarantee_length",
        "terminationReason": "leave_reason",
        "dateClientEffective": "",
        "owner.name": "owner",
    },
    Entity.NOTE: {
        "externalID": "external_id",
        "personReference.externalID": "person_external_id",
        "candidates.externalID": "person_external_id",
        "clientContacts.externalID": "contact_external_id",
        "action": "action",
        "comments": "text",
        "dateAdded": "added_on",
    },
}

# Bullhorn's data loader names each file after its entity: Candidate.csv, Placement_2.csv.
BULLHORN_FILES = {
    "clientcorporation": Entity.COMPANY,
    "candidate": Entity.CANDIDATE,
    "clientcontact": Entity.CONTACT,
    "joborder": Entity.JOB,
    "placement": Entity.PLACEMENT,
    "note": Entity.NOTE,
}
_FILE_STEM = re.compile(r"^([a-z]+)(?:[^a-z].*)?$")


def bullhorn_entity(file_name: str) -> str | None:
    stem = file_name.rsplit("/", 1)[-1].rsplit(".", 1)[0].lower()
    match = _FILE_STEM.match(stem)
    return BULLHORN_FILES.get(match.group(1)) if match else None


def _norm_header(header: str) -> str:
    return re.sub(r"[^a-z0-9]", "", header.lower())


def header_signature(headers: Iterable[str]) -> str:
    """The same columns in any order and case give the same signature."""
    names = sorted(_norm_header(h) for h in headers if h.strip())
    return hashlib.sha256("\x1f".join(names).encode()).hexdigest()


def bullhorn_mapping(entity: str, headers: list[str]) -> dict[str, str]:
    known = {_norm_header(k): v for k, v in BULLHORN[entity].items()}
    return {h: known[_norm_header(h)] for h in headers if known.get(_norm_header(h))}


def guess_mapping(entity: str, headers: list[str]) -> dict[str, str]:
    """A first guess for the mapping screen: Bullhorn paths, field names and labels, then
    close spellings ("E-mail address" -> email). The user confirms it."""
    fields = FIELDS[entity]
    names: dict[str, str] = {}
    for name, label in fields.items():
        names[_norm_header(name)] = name
        names[_norm_header(label)] = name
    names.update({_norm_header(k): v for k, v in BULLHORN[entity].items() if v})
    names.update({"surname": "last_name", "forename": "first_name", "emailaddress": "email"})
    names.update({"mobilephone": "mobile", "telephone": "phone", "city": "location"})
    title = next((t for t in ("headline", "role_title", "title") if t in fields), "title")
    names.update({"company": "company_name", "jobtitle": title, "position": title})
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for header in headers:
        key = _norm_header(header)
        found = names.get(key)
        if found is None:
            close = difflib.get_close_matches(key, list(names), n=1, cutoff=0.85)
            found = names[close[0]] if close else None
        if found and found in fields and found not in used:
            mapping[header] = found
            used.add(found)
    return mapping


def row_to_fields(headers: list[str], row: list[str], mapping: dict[str, str]) -> dict[str, str]:
    """One row as {field: text}; padded cells are trimmed, and where a cell holds several
    values separated by ';' single-valued fields keep the first (a description is kept
    whole)."""
    values: dict[str, str] = {}
    for header, cell in zip(headers, row, strict=False):
        field = mapping.get(header)
        cell = cell.strip()
        if not field or not cell:
            continue
        if field in WHOLE_FIELDS:
            values.setdefault(field, cell)
            continue
        parts = [p.strip() for p in cell.split(";") if p.strip()]
        if field in LIST_FIELDS:
            text = ", ".join(parts)
            values[field] = f"{values[field]}, {text}" if values.get(field) else text
        elif parts and field not in values:
            values[field] = parts[0]
    return values


def fingerprint(values: dict[str, str]) -> str:
    text = "\x1e".join(f"{k}\x1f{values[k]}" for k in sorted(values))
    return hashlib.sha1(text.encode(), usedforsecurity=False).hexdigest()


# --- cell parsing ---------------------------------------------------------------------

_DATE = re.compile(r"^(\d{1,4})[/.-](\d{1,2})[/.-](\d{1,4})(?:[ T].*)?$")


def parse_date(text: str, *, month_first: bool) -> dt.date:
    """ISO dates always; otherwise d/m/y (or m/d/y for Bullhorn's `1/31/16 0:00`),
    two-digit years in 1970–2069. Raises ValueError with the text in the message."""
    value = text.strip()
    if value.isascii() and value.isdigit() and len(value) >= 12:
        # Bullhorn's API writes epoch milliseconds; a longer number is no date at all.
        try:
            return dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.UTC).date()
        except (OverflowError, OSError, ValueError):
            raise ValueError(f"{text!r} is not a date (too far in the future)") from None
    match = _DATE.match(value)
    if not match:
        raise ValueError(f"{text!r} is not a date")
    a, b, c = match.groups()
    try:
        if len(a) == 4:
            return dt.date(int(a), int(b), int(c))
        year = int(c)
        if len(c) <= 2:
            year += 2000 if year < 70 else 1900
        month, day = (int(a), int(b)) if month_first else (int(b), int(a))
        return dt.date(year, month, day)
    except ValueError:
        order = "month/day/year" if month_first else "day/month/year"
        raise ValueError(f"{text!r} is not a date ({order})") from None


def parse_decimal(text: str) -> Decimal:
    cleaned = re.sub(r"[£$€,\s]", "", text)
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if not value.is_finite() or abs(value) >= Decimal("1e10"):
        raise ValueError(f"{text!r} is not an amount")
    return value.quantize(Decimal("0.01"))


_RANGE = re.compile(r"^\s*(\S+?)\s*(?:-|–|to)\s*(\S+)\s*$", re.IGNORECASE)


def parse_salary(text: str) -> tuple[int, int] | None:
    """A yearly salary or a range ("32000", "£30,000 - £35,000") as whole pounds, low and
    high; None for Bullhorn's 0, which it writes when no salary was given. Raises
    ValueError with the text in the message."""
    match = _RANGE.match(text)
    low, high = (
        (parse_decimal(match.group(1)), parse_decimal(match.group(2)))
        if match
        else (parse_decimal(text),) * 2
    )
    if low < 0 or high < 0 or high < low or high > 10_000_000:
        raise ValueError(f"{text!r} is not a salary")
    if not high:
        return None
    return round(low), round(high)


# Where a line ends in the text of an HTML description.
_LINE_END = re.compile(r"<br\s*/?>|</(?:div|tr|ul|ol)\s*>", re.IGNORECASE)
_PARAGRAPH_END = re.compile(r"</(?:p|h[1-6]|table)\s*>", re.IGNORECASE)
_ITEM = re.compile(r"<li\b[^>]*>", re.IGNORECASE)
_LOOKS_HTML = re.compile(r"</?[a-z][a-z0-9]*\b[^>]*>|&#?[a-z0-9]+;", re.IGNORECASE)


def plain_text(text: str) -> str:
    """An HTML description as the text a reader sees: tags dropped (scripts and styles
    with their content), entities decoded, paragraphs, line breaks and list items kept.
    Text with no tags or entities is left as written."""
    if not _LOOKS_HTML.search(text):
        return text.strip()
    flowed = " ".join(text.split())  # HTML's own line breaks are just spaces
    marked = _ITEM.sub("\n- ", _PARAGRAPH_END.sub("\n\n", _LINE_END.sub("\n", flowed)))
    # nh3 parses as a browser would, so a broken tag cannot smuggle markup through.
    decoded = html.unescape(nh3.clean(marked, tags=set()))
    lines = [" ".join(line.split()) for line in decoded.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def cut_to_limits(values: dict[str, Any], limits: dict[str, int]) -> list[str]:
    """Shorten the texts longer than their column allows; returns a warning for each."""
    warnings = []
    for name, limit in limits.items():
        if len(values[name]) > limit:
            warnings.append(f"{name.replace('_', ' ')} cut to {limit} characters")
            values[name] = values[name][:limit]
    return warnings


def parse_days(text: str) -> int:
    try:
        value = int(Decimal(text.strip()))
    except (InvalidOperation, ValueError, OverflowError):
        raise ValueError(f"{text!r} is not a number of days") from None
    if not 0 <= value <= 3650:
        raise ValueError(f"{text!r} is not a number of days (0 to 3650)")
    return value


def phone_variants(text: str) -> set[str]:
    """Spellings of one UK-style number a person record may hold: as given, digits only,
    and with 0 or +44 in front of the national number."""
    raw = text.strip()
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 7:
        return set()
    variants = {raw, digits}
    national = digits[2:] if digits.startswith("44") else digits.lstrip("0")
    variants |= {"0" + national, "+44" + national, "44" + national}
    # The usual ways a UK number is spaced when typed by hand: 07700 900123, 0113 496 0000,
    # 020 7946 0000, +44 7700 900123, +44 20 7946 0000.
    local = "0" + national
    variants |= {f"{local[:5]} {local[5:]}", f"{local[:4]} {local[4:7]} {local[7:]}"}
    variants |= {f"{local[:3]} {local[3:7]} {local[7:]}", f"+44 {national[:4]} {national[4:]}"}
    variants |= {f"+44 {national[:2]} {national[2:6]} {national[6:]}", f"+44 (0){national}"}
    return {v for v in variants if v}


def checked_phone(text: str, warnings: list[str]) -> str:
    """The number in E.164 as the pages store it, or "" with a warning saying it was left
    out (the row still goes in: one bad cell does not lose a person)."""
    try:
        return normalise_phone(text)
    except InvalidPhone:
        warnings.append(f"phone {text[:40]!r} left out: not a phone number")
        return ""


def phone_key(text: str) -> str:
    digits = re.sub(r"\D", "", text)
    national = digits[2:] if digits.startswith("44") and len(digits) > 10 else digits.lstrip("0")
    return national


def close_name(a: str, b: str) -> bool:
    """Two spellings of one person's name: equal, one a short form of the other, or a
    typo apart."""
    x = " ".join(a.lower().split())
    y = " ".join(b.lower().split())
    if not x or not y:
        return False
    if x == y:
        return True
    xs, ys = x.split(), y.split()
    if xs[-1] == ys[-1] and (xs[0].startswith(ys[0]) or ys[0].startswith(xs[0])):
        return True
    return difflib.SequenceMatcher(None, x, y).ratio() >= 0.85
