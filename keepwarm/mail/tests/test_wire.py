"""The outbox's own message bytes say what Django's EmailMultiAlternatives would say."""

from __future__ import annotations

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
from keepwarm.mail.models import OutboxMessage


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
