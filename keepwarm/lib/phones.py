"""Phone numbers: checked and stored in one form (E.164, "+442079460958"), shown as people
write them ("020 7946 0958" at home, "+33 1 23 45 67 89" abroad).

`phonenumbers` carries Google's libphonenumber metadata, so "07700 900123", "+44 7700
900123" and "(0)7700-900-123" are the same number and "not-a-phone" is refused. A number
written without its country code is read as the agency's: the country whose bank holidays
it keeps (Agency settings, seeded by KEEPWARM_HOLIDAYS_COUNTRY), GB when that is unset.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from typing import Any

import phonenumbers
from phonenumbers import PhoneNumberFormat

from keepwarm.lib.working_days import agency_calendar

DEFAULT_REGION = "GB"
# Ofcom keeps these UK ranges for drama, demos and tests, so no real person is rung by
# mistake; libphonenumber calls them unallocated. The demo agency and the tests use them.
FICTIONAL = ("+447700900", "+441632960")
# What normalise_phone stores: E.164, perhaps with an extension.
_STORED = re.compile(r"\+[1-9]\d{6,14}( ext\. \d{1,10})?")


class InvalidPhone(ValueError):
    """A phone number that is not one; the message says how to write it."""


def agency_region() -> str:
    """The country a number without "+" is dialled in: the agency's own, whose bank
    holidays it keeps (Agency settings)."""
    country = (agency_calendar().country or "").upper()
    return country if country in phonenumbers.SUPPORTED_REGIONS else DEFAULT_REGION


def _example(region: str) -> str:
    example = phonenumbers.example_number_for_type(region, phonenumbers.PhoneNumberType.MOBILE)
    if example is None:
        return "+44 7700 900123"
    national = phonenumbers.format_number(example, PhoneNumberFormat.NATIONAL)
    international = phonenumbers.format_number(example, PhoneNumberFormat.INTERNATIONAL)
    return f"{national}, or with the country code {international}"


def normalise_phone(text: str, *, region: str | None = None) -> str:
    """The number in E.164 ("" for a blank); raises InvalidPhone saying what is wrong."""
    typed = " ".join((text or "").split())
    if not typed:
        return ""
    home = region or agency_region()
    national = _national_e164(typed, home)
    if national:
        return national
    number = _parse(typed, home)
    if number is None:
        raise InvalidPhone(f"“{typed[:40]}” is not a phone number. Write it like {_example(home)}.")
    stored = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    # E.164 has no room for an extension; kept after it so a switchboard number works.
    return f"{stored} ext. {number.extension}" if number.extension else stored


# A number written the way people at home write it: a trunk zero, digits, spaces, dashes.
_NATIONAL = re.compile(r"0[1-9][0-9 -]{5,20}")
_TYPES = (
    "premium_rate", "toll_free", "shared_cost", "voip", "personal_number", "pager", "uan",
    "voicemail", "fixed_line", "mobile",
)  # fmt: skip


@dataclass(frozen=True)
class _Plan:
    """A country's numbering plan as two regular expressions per number length: what
    is_valid_number_for_region checks one number type at a time (11 descriptions, each a
    length check and a regular expression through a few Python calls)."""

    country_code: int
    trunk: re.Pattern[str]  # the national prefix as parsing strips it
    idd: re.Pattern[str] | None  # the international call prefix
    general: dict[int, re.Pattern[str]]  # length -> the plan's general pattern
    typed: dict[int, re.Pattern[str]]  # length -> any number type's pattern


def _desc_lengths(desc: Any, lengths: set[int]) -> set[int]:
    """The lengths a description allows (all of `lengths` when it names none)."""
    return set(desc.possible_length) & lengths if desc.possible_length else lengths


@functools.cache
def _plan(region: str) -> _Plan | None:
    """`region`'s plan, when a number there is written with a plain trunk zero that
    parsing strips as it is (no transform rule) and the region is its calling code's main
    one (see _parse); else None and every number takes the full path."""
    meta = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if (
        meta is None
        or meta.country_code is None
        or meta.general_desc is None
        or meta.national_prefix != "0"
        or meta.national_prefix_transform_rule
        or not meta.general_desc.national_number_pattern
        or phonenumbers.region_code_for_country_code(meta.country_code) != region
    ):
        return None
    lengths = set(meta.general_desc.possible_length) or set(range(2, 18))
    pattern = meta.general_desc.national_number_pattern
    general: dict[int, re.Pattern[str]] = {}
    typed: dict[int, re.Pattern[str]] = {}
    for length in lengths:
        patterns = [
            desc.national_number_pattern
            for desc in (getattr(meta, name) for name in _TYPES)
            if desc is not None
            and desc.national_number_pattern
            and length in _desc_lengths(desc, lengths)
        ]
        if patterns:
            general[length] = re.compile(pattern)
            typed[length] = re.compile("|".join(f"(?:{p})" for p in patterns))
    trunk = re.compile(meta.national_prefix_for_parsing or "0")
    idd = re.compile(meta.international_prefix) if meta.international_prefix else None
    return _Plan(meta.country_code, trunk, idd, general, typed)


def _national_e164(typed: str, home: str) -> str:
    """A valid number of the agency's own country written nationally ("07700 900123"), in
    E.164; "" for anything else, which takes the full path. Gives only what parsing and
    is_valid_number_for_region would give (a test holds it to them), at a tenth of the
    cost: an import checks a number per person."""
    if not _NATIONAL.fullmatch(typed):
        return ""
    plan = _plan(home)
    if plan is None:
        return ""
    digits = typed.replace(" ", "").replace("-", "")
    prefix = plan.trunk.match(digits)
    if prefix is None or prefix.group(0) != "0" or (plan.idd and plan.idd.match(digits)):
        return ""
    national = digits[1:]
    general, typed_as = plan.general.get(len(national)), plan.typed.get(len(national))
    if general is None or typed_as is None:
        return ""
    if general.fullmatch(national) and typed_as.fullmatch(national):
        return f"+{plan.country_code}{national}"
    return ""


def _parse(text: str, home: str) -> phonenumbers.PhoneNumber | None:
    """The number `text` writes (dialled from `home`), or None if it is not one."""
    try:
        number = phonenumbers.parse(text, home)
    except phonenumbers.NumberParseException:
        return None
    # A number of the agency's own country is checked against that country's numbering
    # plan alone: is_valid_number would find the region first by checking the same plan
    # (an import of 100k candidates spends seconds on it). Only for the country's main
    # region, which the lookup tries first, so a yes is is_valid_number's; a no asks it.
    own = (
        number.country_code is not None
        and phonenumbers.region_code_for_country_code(number.country_code) == home
    )
    if (own and phonenumbers.is_valid_number_for_region(number, home)) or (
        phonenumbers.is_valid_number(number)
    ):
        return number
    e164 = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    fictional = phonenumbers.is_possible_number(number) and e164.startswith(FICTIONAL)
    return number if fictional else None


def display_phone(stored: str, *, region: str | None = None) -> str:
    """A stored number as people write it: national at home, international abroad. Text
    that is not a number (kept from before numbers were checked) is shown as it is."""
    if not stored:
        return ""
    return _displayed(stored, region or agency_region())


# A list shows 50 numbers and parsing and formatting one costs ~30 us; the same people come
# back page after page (a consultant's book, Today), so each number is formatted once per
# process. The key holds the agency's region: changing it formats afresh.
@functools.lru_cache(maxsize=20_000)
def _displayed(stored: str, home: str) -> str:
    if _STORED.fullmatch(stored):
        # Checked when it was stored: only read back, not checked again. The check
        # (is_valid_number) costs more than reading and formatting together.
        try:
            number = phonenumbers.parse(stored, home)
        except phonenumbers.NumberParseException:
            return stored
    else:
        found = _parse(stored, home)
        if found is None:
            return stored
        number = found
    at_home = number.country_code == phonenumbers.country_code_for_region(home)
    style = PhoneNumberFormat.NATIONAL if at_home else PhoneNumberFormat.INTERNATIONAL
    return phonenumbers.format_number(number, style)


def dial_phone(stored: str) -> str:
    """What a tel: link dials: the E.164 number (with any extension after a comma pause)."""
    number, _, extension = stored.partition(" ext. ")
    return f"{number},{extension}" if extension else number
