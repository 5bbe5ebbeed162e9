"""The outbox's own message bytes say what Django's EmailMultiAlternatives would say."""

from __future__ import annotations

import re
import smtplib
from email import message_from_bytes
from email import policy as email_policy
from email.message import EmailMessage, MIMEPart

import pytest
from django.core.mail import BadHeaderError
from hypothesis import given
from hypothesis import strategies as st

from keepwarm.mail import wire
from keepwarm.mail.backends import dot_stuffed
from keepwarm.mail.fill import Filler
from keepwarm.mail.models import OutboxMessage, OutboxTemplate


def row(**fields: object) -> OutboxMessage:
    values: dict[str, object] = {
        "id": 7,
        "to_email": "priya@example.net",
        "from_email": "Agency <news@agency.example>",
        "subject": "June news",
        "body_text": "Hi Priya,\n\nRead more: https://a.example/1\n",
        "body_html": "<p>Hi Priya,</p>\n<p><a href='https://a.example/1'>Read more</a></p>",
        "headers": {"List-Unsubscribe": "<https://k.example/u/abc/>"},
        "message_id": "<1.keepwarm@agency.example>",
        **fields,
    }
    return OutboxMessage(**values)


def content(part: MIMEPart | None) -> str:
    assert part is not None
    return str(part.get_content()).replace("\r\n", "\n")


def parsed(message: OutboxMessage) -> tuple[wire.Wire, EmailMessage]:
    built = wire.build(message)
    assert b"\r\n" in built.data and b"\n" not in built.data.replace(b"\r\n", b"")
    parsed = message_from_bytes(built.data, policy=email_policy.default)
    assert isinstance(parsed, EmailMessage)
    return built, parsed


def test_a_plain_copy_has_the_headers_and_both_parts() -> None:
    built, email = parsed(row(reply_to="Olivia Owner <olivia@agency.example>"))
    assert (built.sender, built.recipient) == ("news@agency.example", "priya@example.net")
    assert email["From"] == "Agency <news@agency.example>"
    assert email["To"] == "priya@example.net"
    assert email["Reply-To"] == "Olivia Owner <olivia@agency.example>"
    assert email["Subject"] == "June news"
    assert email["Message-ID"] == "<1.keepwarm@agency.example>"
    assert email["List-Unsubscribe"] == "<https://k.example/u/abc/>"
    assert email["Date"] and email["MIME-Version"] == "1.0"
    assert email.get_content_type() == "multipart/alternative"
    assert content(email.get_body(("plain",))) == "Hi Priya,\n\nRead more: https://a.example/1\n"
    assert "<a href='https://a.example/1'>Read more</a>" in content(email.get_body(("html",)))


def test_non_ascii_names_subjects_and_long_lines_survive() -> None:
    long_line = "<p>" + "Café société " * 200 + "</p>"
    built, email = parsed(
        row(
            from_email="Agençe Dupont <news@agency.example>",
            subject="Les nouvelles de juin — été",
            to_email="zoë@exämple.net",
            body_text="Bonjour Zoë,\n.\nA line with a dot alone above.\n",
            body_html=long_line,
        )
    )
    assert email["From"] == "Agençe Dupont <news@agency.example>"
    assert email["Subject"] == "Les nouvelles de juin — été"
    assert built.recipient.endswith("@xn--exmple-cua.net")  # punycode, as Django does
    assert all(len(line) <= 998 for line in built.data.split(b"\r\n"))
    html = email.get_body(("html",))
    assert html is not None and html["Content-Transfer-Encoding"] == "quoted-printable"
    assert content(html) == long_line + "\n"
    text = content(email.get_body(("plain",)))
    assert text == "Bonjour Zoë,\n.\nA line with a dot alone above.\n"


def test_a_text_only_copy_is_a_single_part() -> None:
    _, email = parsed(row(body_html=""))
    assert email.get_content_type() == "text/plain"
    assert content(email) == "Hi Priya,\n\nRead more: https://a.example/1\n"


@pytest.mark.parametrize(
    "fields",
    [
        {"subject": "Hello\nBcc: victim@example.net"},
        {"headers": {"X-Thing": "a\r\nBcc: victim@example.net"}},
    ],
)
def test_a_newline_in_a_header_is_refused(fields: dict[str, object]) -> None:
    with pytest.raises(BadHeaderError):
        wire.build(row(**fields))


def test_an_address_no_server_takes_is_refused() -> None:
    with pytest.raises(ValueError):
        wire.build(row(to_email="@example.net"))


@given(
    st.binary(max_size=200)
    | st.lists(st.sampled_from([b".", b"\r\n", b"\n", b"a", b".."])).map(b"".join)
)
def test_dot_stuffing_sends_the_bytes_smtplib_would(payload: bytes) -> None:
    # smtplib.SMTP.data's own quoting and terminator, which the fast path replaces.
    expected = smtplib._quote_periods(payload)  # type: ignore[attr-defined]
    if expected[-2:] != b"\r\n":
        expected += b"\r\n"
    assert dot_stuffed(payload) == expected + b".\r\n"


def shared_body(html: str) -> OutboxTemplate:
    return OutboxTemplate(
        body_text="Hi %%KW_FIRST_NAME%%,\n", body_html=html, fields=["first_name"]
    )


def test_a_copy_whose_name_makes_a_line_too_long_still_goes_quoted_printable() -> None:
    template = shared_body("<p>" + "x" * 900 + " %%KW_FIRST_NAME%%</p>\n<p>Bye</p>")
    text, html, lines_fit = template.filled({"first_name": "Zoë" * 60}, line_limit=wire.LINE_LIMIT)
    assert not lines_fit
    _, email = parsed(row(body_text=text, body_html=html))
    part = email.get_body(("html",))
    assert part is not None and part["Content-Transfer-Encoding"] == "quoted-printable"


def test_a_copy_known_to_fit_is_the_message_its_lines_would_give() -> None:
    template = shared_body("<p>" + "x" * 900 + " %%KW_FIRST_NAME%%</p>\n<p>Bye</p>")
    text, html, lines_fit = template.filled({"first_name": "Zoë"}, line_limit=wire.LINE_LIMIT)
    assert lines_fit
    measured = wire.build(row(body_text=text, body_html=html)).data
    known = wire.build(row(body_text=text, body_html=html), lines_fit=True).data
    boundary = re.compile(rb"=_kw_[0-9a-f]{24}")
    assert boundary.sub(b"", known) == boundary.sub(b"", measured)


line_pieces = st.sampled_from(["a", "é", "\n", "\r\n", "\r", "<", "&", "%%KW_NAME%%", "x" * 300])


@given(
    st.lists(line_pieces, max_size=40).map("".join),
    st.text(max_size=400),
    st.booleans(),
)
def test_a_fill_said_to_fit_has_no_line_over_the_limit(
    source: str, name: str, escape: bool
) -> None:
    text, fits = Filler(source, names=["name"], escape=escape).fill_within({"name": name}, 998)
    assert text == Filler(source, names=["name"], escape=escape).fill({"name": name})
    if fits:
        lines = text.replace("\r\n", "\n").replace("\r", "\n").encode().split(b"\n")
        assert max(map(len, lines)) <= 998
