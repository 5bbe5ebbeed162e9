"""Handing one message to the mail server or provider, and what its answer means.

A failure is Transient (try later), Permanent (never, and perhaps a bad address) or
Unknown (the message may have arrived: a person decides). Used by services.sending only.
"""

from __future__ import annotations

import contextlib
import smtplib

import requests
import urllib3.exceptions
from anymail.exceptions import AnymailError, AnymailRecipientsRefused
from django.core.mail import BadHeaderError, EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend

from keepwarm.mail import wire
from keepwarm.mail.backends import SmtpBackend
from keepwarm.mail.claims import Claimed

LOST_AFTER_SEND = "Connection lost after the message was sent; check before resending."


def _email_for(message: Claimed, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=[message.to_email],
        reply_to=[message.reply_to] if message.reply_to else None,
        headers={**message.headers, "Message-ID": message.message_id},
        connection=backend,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    # Providers (through anymail) echo metadata back in their webhooks, so a bounce or
    # complaint finds its row; the SMTP backend ignores the attribute.
    email.metadata = {"keepwarm_outbox": str(message.id)}  # type: ignore[attr-defined]
    return email


class Transient(Exception):
    def __init__(self, error: str, *, unreachable: bool = False) -> None:
        super().__init__(error)
        # Nothing answered at all: the rest of the batch waits too instead of each
        # message sitting through its own connect timeout.
        self.unreachable = unreachable


class Unknown(Exception):
    """The message may have arrived; sending it again could deliver it twice."""


class Permanent(Exception):
    def __init__(self, error: str, *, bad_address: bool = False) -> None:
        super().__init__(error)
        # The server said the address itself does not work: a hard bounce.
        self.bad_address = bad_address


def _smtp_error(code: int, reply: bytes | str, *, recipient: bool = False) -> Exception:
    text = reply.decode(errors="replace") if isinstance(reply, bytes) else str(reply)
    error = f"{code} {text}".strip()
    # 5xx is the server's final word (no such user, rejected); 4xx means try later.
    if not 500 <= code < 600:
        return Transient(error)
    # A refused RCPT, or an enhanced status 5.1.x (bad mailbox) at any step, is about the
    # address; 5.7.x (policy, spam) at DATA is about the message and suppresses nothing.
    return Permanent(error, bad_address=recipient or text.lstrip().startswith("5.1."))


def close_quietly(backend: BaseEmailBackend) -> None:
    # A broken connection is being dropped anyway; its goodbye may fail too.
    with contextlib.suppress(Exception):
        backend.close()


def _never_connected(error: BaseException | None) -> bool:
    """Whether an HTTP request failed before a connection, so the provider has nothing."""
    if isinstance(error, requests.ConnectTimeout):
        return True
    if not isinstance(error, requests.ConnectionError):  # a read timeout, for one
        return False
    reason = error.args[0] if error.args else None
    reason = getattr(reason, "reason", reason)  # urllib3 wraps the cause in MaxRetryError
    # NewConnectionError (refused, no DNS) is a kind of ConnectTimeoutError in urllib3 2.
    return isinstance(reason, urllib3.exceptions.ConnectTimeoutError | urllib3.exceptions.SSLError)


def _provider_error(exc: AnymailError) -> Exception:
    """Classify an error from a provider's HTTP API (through anymail) like an SMTP reply."""
    # One line for the Sent mail page; anymail's text has the provider's answer as JSON.
    error = " ".join(str(exc).split()) or exc.__class__.__name__
    if isinstance(exc, AnymailRecipientsRefused):
        # The provider refused the address itself (invalid, or it bounced before).
        if exc.response is not None:
            error += f": {exc.response.status_code} {' '.join(exc.response.text.split())}"
        return Permanent(error[:1000], bad_address=True)
    status = exc.status_code
    if status is None:
        if _never_connected(exc.__cause__):
            return Transient(error, unreachable=True)
        if isinstance(exc.__cause__, requests.RequestException):
            # The request went out and no answer came (read timeout, dropped connection).
            return Unknown(f"{LOST_AFTER_SEND} ({exc.__cause__})")
        return Permanent(error)  # a message anymail cannot express for this provider
    if 200 <= status < 300:
        # Accepted, but the answer made no sense to anymail: it has most likely gone.
        return Unknown(f"{LOST_AFTER_SEND} ({error})")
    if status == 429 or status >= 500:  # rate limited, or the provider's own trouble
        return Transient(error)
    return Permanent(error)


def deliver(
    backend: BaseEmailBackend, message: Claimed, *, following: Claimed | None = None
) -> None:
    """Send one message over the open connection, or raise Transient / Permanent /
    Unknown. `following`: the message the caller sends next, whose envelope an SMTP
    server offering PIPELINING gets with this message's content (one round trip fewer)."""
    try:
        if isinstance(backend, SmtpBackend):
            # Our own bytes over Django's open connection: what send_messages would send,
            # without the email package's generator (see wire.py).
            built = wire.build(message, lines_fit=message.lines_fit)
            ahead = wire.envelope(following) if following is not None else None
            backend.send_one(built.sender, built.recipient, built.data, ahead=ahead)
        elif backend.send_messages([_email_for(message, backend)]) != 1:
            raise Permanent("The mail server accepted no recipient.")
    except smtplib.SMTPRecipientsRefused as exc:
        code, reply = next(iter(exc.recipients.values()))
        raise _smtp_error(code, reply, recipient=True) from exc
    except smtplib.SMTPResponseException as exc:  # data, sender and connect errors
        close_quietly(backend)
        raise _smtp_error(exc.smtp_code, exc.smtp_error) from exc
    except AnymailError as exc:  # before OSError: anymail's HTTP errors are OSErrors too
        raise _provider_error(exc) from exc
    except (BadHeaderError, ValueError) as exc:  # an address or header no server will take
        if isinstance(backend, SmtpBackend):
            backend.drop_announced()  # its envelope may have gone ahead
        raise Permanent(str(exc) or exc.__class__.__name__) from exc
    except OSError as exc:  # disconnects and timeouts, with no reply to go by
        # Once DATA went out the server may hold the whole message; only its "250" is
        # missing. A backend that cannot tell (not ours) is treated as before DATA.
        after_data = isinstance(backend, SmtpBackend) and backend.reached_data()
        close_quietly(backend)
        if after_data:
            raise Unknown(f"{LOST_AFTER_SEND} ({exc})") from exc
        raise Transient(str(exc) or exc.__class__.__name__) from exc
