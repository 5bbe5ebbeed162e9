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
    # The envelope (sender, recipient) of the next message, sent ahead with the previous
    # message's content, and the server's three replies to it: the server waits for that
    # message's content and nothing else (a QUIT or RSET now would become its text).
    announced: tuple[str, str] | None = None
    announced_replies: tuple[tuple[int, bytes], ...] = ()

    def mail(self, sender: str, options: Sequence[str] = ()) -> tuple[int, bytes]:
        self.reached_data = False  # MAIL FROM starts each message's transaction
        return super().mail(sender, options)

    def pipelines(self, sender: str, recipient: str) -> bool:
        """Whether this message's envelope can go in one write with other commands."""
        self.ehlo_or_helo_if_needed()
        envelope = f"{sender}{recipient}"
        return self.has_extn("pipelining") and envelope.isascii() and ">" not in envelope

    def send_one(
        self, sender: str, recipient: str, data: bytes, *, ahead: tuple[str, str] | None = None
    ) -> None:
        """Send one message to one recipient; raises what `sendmail` raises.

        When the server offers PIPELINING (RFC 2920; Postfix, Exim and the providers'
        relays do), MAIL, RCPT and DATA go out in one write and their three replies are
        read together, and the content of a message may start a group (RFC 2920 3.1): so
        the envelope of the next message (`ahead`) goes in the same write as this one's
        content, and its replies are read after this message's 250. One round trip a
        message instead of two. Here "reached DATA" is exact: it is set just before the
        message itself goes out, so a connection lost before then is always safe to retry.
        The caller sends the announced message next, or drops the connection
        (`drop_announced`).
        """
        if not self.pipelines(sender, recipient):
            self.drop_announced()
            self.sendmail(sender, [recipient], data)
            return
        self.reached_data = False
        if self.announced == (sender, recipient):
            mail, rcpt, data_reply = self.announced_replies
            self.announced, self.announced_replies = None, ()
        else:
            self.drop_announced()
            self.send(_envelope(sender, recipient))
            mail, rcpt, data_reply = self._envelope_replies()
        self._check_envelope(sender, recipient, mail, rcpt, data_reply)
        self.reached_data = True
        if ahead is not None and not self.pipelines(*ahead):
            ahead = None
        following = _envelope(*ahead) if ahead is not None else b""
        self.send(dot_stuffed(data) + following)
        end = self.getreply()
        if ahead is not None and end[0] != 421:
            self._read_announced(ahead)
        if end[0] != 250:
            if self.announced is not None:
                # The next message's content is awaited: an RSET now would become its text.
                raise smtplib.SMTPDataError(*end)
            self._data_refused(*end)

    def _envelope_replies(self) -> tuple[tuple[int, bytes], ...]:
        """The replies to MAIL, RCPT and DATA; a 421 (closing) is the last there will be."""
        mail = self.getreply()
        if mail[0] == 421:
            return mail, mail, mail
        rcpt = self.getreply()
        if rcpt[0] == 421:
            return mail, rcpt, rcpt
        return mail, rcpt, self.getreply()

    def _check_envelope(
        self,
        sender: str,
        recipient: str,
        mail: tuple[int, bytes],
        rcpt: tuple[int, bytes],
        data_reply: tuple[int, bytes],
    ) -> None:
        if mail[0] == 421:  # closing: the other replies never come
            self.close()
            raise smtplib.SMTPSenderRefused(mail[0], mail[1], sender)
        if rcpt[0] == 421:
            self.close()
            raise smtplib.SMTPRecipientsRefused({recipient: rcpt})
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

    def _read_announced(self, ahead: tuple[str, str]) -> None:
        """Read the replies to the envelope sent ahead. This message has its answer already:
        a connection lost now costs the next message a new connection, nothing more."""
        try:
            replies = self._envelope_replies()
        except OSError:  # smtplib's errors are OSErrors too
            self.close()
            return
        if replies[2][0] == 421:  # closing
            self.close()
            return
        # Refusals too: the message's own turn reports them.
        self.announced, self.announced_replies = ahead, replies

    def drop_announced(self) -> None:
        """Give up a message whose envelope went ahead: if the server awaits its content,
        only closing the connection ends that without delivering anything."""
        if self.announced is None:
            return
        waiting = self.announced_replies[2][0] == 354
        self.announced, self.announced_replies = None, ()
        if waiting:
            self.close()
        else:
            self._reset()

    def quit(self) -> tuple[int, bytes]:
        if self.announced is not None and self.announced_replies[2][0] == 354:
            # QUIT would become the awaited message's text: hang up instead.
            self.announced, self.announced_replies = None, ()
            self.close()
            return 221, b""
        return super().quit()

    def close(self) -> None:
        self.announced, self.announced_replies = None, ()
        super().close()

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


def _envelope(sender: str, recipient: str) -> bytes:
    """MAIL, RCPT and DATA for one message, to go in one write (PIPELINING)."""
    return f"MAIL FROM:<{sender}>\r\nRCPT TO:<{recipient}>\r\nDATA\r\n".encode("ascii")


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

    def send_one(
        self, sender: str, recipient: str, data: bytes, *, ahead: tuple[str, str] | None = None
    ) -> None:
        """Send pre-built bytes over the open connection, and the envelope of the message
        to go next (`ahead`) with them (see `_DataAware.send_one`)."""
        if isinstance(self.connection, _DataAware) and self.connection.sock is None:
            # Closed after a reply to an envelope sent ahead: start a new connection.
            self.connection = None
            self.open()
        if not isinstance(self.connection, _DataAware):
            raise OSError("Not connected to the mail server.")
        self.connection.send_one(sender, recipient, data, ahead=ahead)

    def drop_announced(self) -> None:
        """The message whose envelope went ahead will not be sent now (see send_one)."""
        if isinstance(self.connection, _DataAware):
            self.connection.drop_announced()

    def reached_data(self) -> bool:
        """Whether the last message's DATA command went out on the current connection.

        Ask before closing the backend: closing forgets the connection.
        """
        return bool(getattr(self.connection, "reached_data", False))
