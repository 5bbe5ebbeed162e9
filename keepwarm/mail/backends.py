"""Email backends of our own. Django's SMTP backend (and anymail's) do the real sending."""

from __future__ import annotations

import contextlib
import smtplib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.core.mail import EmailMessage
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend

if TYPE_CHECKING:
    from _typeshed import ReadableBuffer


class CaptureBackend(BaseEmailBackend):
    """The default when KEEPWARM_EMAIL_URL is unset: nothing leaves the machine.

    `send_pending` checks `captures` and moves due outbox rows to "captured" without
    rendering a MIME message, so a new install shows what it would have sent on the
    Sent mail page instead of mailing real candidates from a demo.
    """

    captures = True

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        # Reached only if something bypasses the outbox; still send nothing.
        return len(email_messages)


def backend_captures(backend: BaseEmailBackend) -> bool:
    return bool(getattr(backend, "captures", False))


# --- SMTP that knows whether a message may have arrived ------------------------------


class _DataAware(smtplib.SMTP):
    """An SMTP connection that notes when the current message's DATA command went out.

    Before DATA, a dropped connection or a timeout means the server has nothing: send
    again. From DATA on, the server may hold the whole message and only its final "250"
    got lost; sending again could mail the person twice. (A drop between DATA and the
    server's 354 is counted as "may have arrived" too: rare, and erring towards asking
    a person is the safe side.)
    """

    reached_data = False

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.reached_data = False  # MAIL FROM starts each message's transaction
        return super().mail(sender, options)

    def send_one(self, sender: str, recipient: str, data: bytes) -> None:
        """Send one message to one recipient; raises what `sendmail` raises.

        When the server offers PIPELINING (RFC 2920; Postfix, Exim and the providers'
        relays do), MAIL, RCPT and DATA go out in one write and their three replies are
        read together: two round trips a message instead of four. Here "reached DATA"
        is exact: it is set just before the message itself goes out, so a connection
        lost before then is always safe to retry.
        """
        self.ehlo_or_helo_if_needed()
        envelope = f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n"
        if not self.has_extn("pipelining") or not envelope.isascii() or ">" in sender + recipient:
            self.sendmail(sender, [recipient], data)
            return
        self.reached_data = False
        self.send(envelope.encode("ascii"))
        mail = self.getreply()
        if mail[0] == 421:  # closing: the other replies never come
            self.close()
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        rcpt = self.getreply()
        if rcpt[0] == 421:
            self.close()
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
        data_reply = self.getreply()
        if data_reply[0] == 354 and (mail[0] != 250 or rcpt[0] not in (250, 251)):
            # A server must refuse DATA when no recipient was accepted; if one did not,
            # end the empty transaction before refusing the message ourselves.
            self.send(b".\r\n")
            self.getreply()
        if mail[0] != 250:
            self._reset()
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        if rcpt[0] not in (250, 251):
            self._reset()
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
        if data_reply[0] != 354:
            self._data_refused(*data_reply)
        self.reached_data = True
        self.send(dot_stuffed(data))
        end = self.getreply()
        if end[0] != 250:
            self._data_refused(*end)

    def _data_refused(self, code: int, reply: bytes) -> None:
        if code == 421:
            self.close()
        else:
            self._reset()
        raise smtplib.SMTPDataError(code, reply)

    def _reset(self) -> None:
        # As sendmail does: the refusal is the news, not a server that hung up meanwhile.
        with contextlib.suppress(smtplib.SMTPServerDisconnected):
            self.rset()

    def data(self, msg: ReadableBuffer | str) -> tuple[int, bytes]:
        self.reached_data = True
        if not isinstance(msg, bytes):
            return super().data(msg)
        # smtplib.SMTP.data for bytes, with its dot-stuffing done by bytes.replace instead
        # of a multiline regular expression (a visible share of a newsletter copy's cost).
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        self.send(dot_stuffed(msg))
        return self.getreply()


def dot_stuffed(msg: bytes) -> bytes:
    """The DATA payload: a "." starting any line doubled (RFC 5321 4.5.2), ending in
    CRLF "." CRLF; the same bytes smtplib's `_quote_periods` and `data` produce."""
    quoted = msg.replace(b"\n.", b"\n..")
    if quoted.startswith(b"."):
        quoted = b"." + quoted
    if not quoted.endswith(b"\r\n"):
        quoted += b"\r\n"
    return quoted + b".\r\n"


class _DataAwareSSL(_DataAware, smtplib.SMTP_SSL):
    pass


class SmtpBackend(smtp.EmailBackend):
    """Django's SMTP backend over a connection that can say whether DATA was reached.

    KEEPWARM_EMAIL_URL smtp:// (smtps://, smtp+tls://) uses this backend; `send_pending`
    asks `reached_data()` after a lost connection before it decides to retry.
    """

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _DataAwareSSL if self.use_ssl else _DataAware

    def send_one(self, sender: str, recipient: str, data: bytes) -> None:
        """Send pre-built bytes over the open connection (see `_DataAware.send_one`)."""
        if not isinstance(self.connection, _DataAware):
            raise OSError("Not connected to the mail server.")
        self.connection.send_one(sender, recipient, data)

    def reached_data(self) -> bool:
        """Whether the last message's DATA command went out on the current connection.

        Ask before closing the backend: closing forgets the connection.
        """
        return bool(getattr(self.connection, "reached_data", False))
