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
    number = _parse(typed, home)
    if number is None:
        raise InvalidPhone(f"“{typed[:40]}” is not a phone number. Write it like {_example(home)}.")
    stored = phonenumbers.format_number(number, PhoneNumberFormat.E164)
    # E.164 has no room for an extension; kept after it so a switchboard number works.
    return f"{stored} ext. {number.extension}" if number.extension else stored


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
    return _shown(stored, region or agency_region())


# A list shows the same few hundred numbers on every view: each is parsed and formatted
# once a process (Today's 50 rows spent more on this than on their query).
@functools.lru_cache(maxsize=4096)
def _shown(stored: str, home: str) -> str:
    if _STORED.fullmatch(stored):
        # Checked when it was stored: only read back, not checked again. The check
        # (is_valid_number) costs more than reading and formatting together, and a list
        # shows 50 numbers.
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
