"""A number written the way people at home write it is checked without the full parse
(an import checks one per person), and gives exactly what the full parse and check give."""

from __future__ import annotations

import phonenumbers
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from keepwarm.lib.phones import _national_e164, _parse, normalise_phone

REGIONS = ["GB", "FR", "DE", "IE", "NL", "NZ", "AU"]


def _full_path(typed: str, region: str) -> str:
    number = _parse(typed, region)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164) if number else ""


@settings(max_examples=3000, deadline=None)
@given(
    region=st.sampled_from(REGIONS),
    first=st.sampled_from("123456789"),
    rest=st.text(alphabet="0123456789", min_size=5, max_size=12),
    gaps=st.lists(st.integers(min_value=1, max_value=12), max_size=3),
)
def test_a_number_written_at_home_reads_as_the_full_parse_reads_it(
    region: str, first: str, rest: str, gaps: list[int]
) -> None:
    digits = f"0{first}{rest}"
    for gap in sorted(set(gaps), reverse=True):
        if gap < len(digits):
            digits = f"{digits[:gap]} {digits[gap:]}"
    quick = _national_e164(digits, region)
    if quick:
        assert quick == _full_path(digits, region), (digits, region)


@pytest.mark.parametrize(
    ("typed", "region", "stored"),
    [
        ("07700 000123", "GB", "+447700000123"),
        ("07400 123456", "GB", "+447400123456"),
        ("020 7946 0958", "GB", "+442079460958"),
        ("0113-496-0000", "GB", "+441134960000"),
        ("06 12 34 56 78", "FR", "+33612345678"),
        ("030 1234567", "DE", "+49301234567"),
    ],
)
def test_common_numbers_take_the_quick_way_and_store_the_same(
    typed: str, region: str, stored: str
) -> None:
    assert _national_e164(typed, region) == stored
    assert _full_path(typed, region) == stored
    assert normalise_phone(typed, region=region) == stored


@pytest.mark.parametrize(
    "typed",
    ["07700 900123", "0044 113 496 0000", "+44 7911 123456", "07911 123456 ext 2", "0777"],
)
def test_fictional_international_and_odd_numbers_take_the_full_path(typed: str) -> None:
    assert _national_e164(typed, "GB") == ""
