"""E-mail over SMTP with the standard library's ``smtplib``.

One connection is opened on the first batch and reused for every later one (it is
reopened once when the server dropped it). ``smtp://host:port`` speaks plain SMTP,
``?starttls=1`` upgrades it, ``smtps://`` is TLS from the start; ``user:password@``
logs in. Every message carries its ``Message-ID`` (a function of the delivery, so a
re-send after a crash carries the same one) and the headers the caller gives
(``List-Unsubscribe``).

A server that offers ``PIPELINING`` (RFC 2920) gets one round trip per message: a
message's content and end of data go in one write with the next message's ``MAIL``,
``RCPT`` and ``DATA`` (content first, ``DATA`` last, as the RFC allows), and the four
replies are read back in order. Each reply is judged as ``smtplib.sendmail`` judges it
(a refused recipient or a 5xx refuses that message, a 4xx elsewhere stops the batch). A
server without it gets ``sendmail``'s four round trips.
"""

from __future__ import annotations

import quopri
import re
import smtplib
import ssl
from collections.abc import Sequence
from email.header import Header
from email.utils import formatdate
from urllib.parse import parse_qs, unquote, urlsplit

import attrs

from crmcore.ports.marketing import ChannelUnavailable, OutgoingMessage, SendResult

DEFAULT_SENDER = "crm@localhost"


@attrs.frozen(kw_only=True)
class SmtpSettings:
    """Where and how to connect."""

    host: str
    port: int = 25
    tls: bool = False  # TLS from the start (smtps://)
    starttls: bool = False
    user: str | None = None
    password: str | None = None
    sender: str = DEFAULT_SENDER
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """``smtp[s]://[user:password@]host[:port][?starttls=1&from=addr&timeout=s]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"not an SMTP URL: {url!r} (smtp://host:port or smtps://host:port)")
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=parts.port or (465 if tls else 25),
            tls=tls,
            starttls=query.get("starttls", "0").lower() in ("1", "true", "yes"),
            user=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            sender=query.get("from", DEFAULT_SENDER),
            timeout=float(query.get("timeout", "30")),
        )

    @property
    def domain(self) -> str:
        """The sender's domain, for Message-IDs."""
        return self.sender.rpartition("@")[2] or "localhost"


def _header(value: str) -> str:
    """A header value: as is when printable ASCII, else an RFC 2047 encoded word."""
    clean = " ".join(value.split())  # no line breaks can be injected into the header
    if clean.isascii() and clean.isprintable():
        return clean
    return Header(clean, "utf-8").encode(maxlinelen=998)


def build_message(
    m: OutgoingMessage, *, sender: str, domain: str, date: str | None = None
) -> bytes:
    """The RFC 5322 bytes of one outgoing e-mail: plain text, UTF-8, quoted-printable
    when the body is not ASCII. Written directly (the ``email`` package's generator
    costs several times the whole send); a property test parses it back."""
    lines_of_body = m.body.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body = "\r\n".join(lines_of_body) + "\r\n"
    if body.isascii() and max(map(len, lines_of_body)) <= 998:
        encoding, payload = "7bit", body.encode("ascii")
    else:
        encoding = "quoted-printable"
        payload = quopri.encodestring(body.encode("utf-8")).replace(b"\r\n", b"\n")
        payload = payload.replace(b"\n", b"\r\n")
    lines = [
        f"From: {_header(sender)}",
        f"To: {_header(m.to)}",
        f"Subject: {_header(m.subject)}",
        f"Date: {date or formatdate(usegmt=True)}",
        f"Message-ID: {message_id(m, domain)}",
        "MIME-Version: 1.0",
        'Content-Type: text/plain; charset="utf-8"',
        f"Content-Transfer-Encoding: {encoding}",
    ]
    lines += [f"{name}: {_header(value)}" for name, value in m.headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + payload


#: A line that starts with a period gets one more (RFC 5321 4.5.2, as ``smtplib`` does).
_LEADING_PERIOD = re.compile(rb"(?m)^\.")


def data_block(raw: bytes) -> bytes:
    """The message's bytes as sent after ``DATA``: periods stuffed, then the end of data
    (``raw`` ends with CRLF, as :func:`build_message` writes it)."""
    if not raw.endswith(b"\r\n"):
        raw += b"\r\n"
    return _LEADING_PERIOD.sub(b"..", raw) + b".\r\n"


#: An address ``smtplib.quoteaddr`` would write as is between angle brackets.
_PLAIN_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9.-]+")


def _address(address: str) -> str:
    """``smtplib.quoteaddr(address)``, without its (slow) parse for a plain address."""
    if _PLAIN_ADDRESS.fullmatch(address):
        return f"<{address}>"
    return smtplib.quoteaddr(address)


class _Stop(Exception):
    """A temporary (4xx) answer outside ``RCPT``: the batch stops, as with ``sendmail``."""

    def __init__(self, code: int, text: bytes) -> None:
        super().__init__(f"{code} {text!r}")
        self.code, self.text = code, text


def message_id(m: OutgoingMessage, domain: str) -> str:
    """The Message-ID of a delivery: the same on every attempt."""
    return f"<{m.delivery_id}@{domain}>"


class SmtpChannel:
    """The e-mail :class:`crmcore.ports.marketing.MessageChannel`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None
        self._date = formatdate(usegmt=True)

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            conn: smtplib.SMTP
            if s.tls:
                conn = smtplib.SMTP_SSL(
                    s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
                )
            else:
                conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.starttls:
                    conn.starttls(context=ssl.create_default_context())
            if s.user is not None:
                conn.login(s.user, s.password or "")
            conn.ehlo_or_helo_if_needed()
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelUnavailable(f"cannot reach {s.host}:{s.port}: {exc}") from exc
        return conn

    def send(self, messages: Sequence[OutgoingMessage]) -> Sequence[SendResult]:
        results: list[SendResult] = []
        retried = False
        self._date = formatdate(usegmt=True)
        while len(results) < len(messages):  # results come in the messages' order
            if self._conn is None:
                self._conn = self._connect()
            conn = self._conn
            try:
                if conn.has_extn("pipelining"):
                    self._pipelined(conn, messages, results)
                else:
                    self._one(conn, messages[len(results)], results)
            except _Stop as exc:
                self.close()
                raise ChannelUnavailable(str(exc), results) from exc
            except smtplib.SMTPResponseException as exc:
                m = messages[len(results)]
                if exc.smtp_code >= 500:
                    results.append(_refused(m, f"{exc.smtp_code} {exc.smtp_error!r}"))
                    self._reset()
                else:
                    self.close()
                    raise ChannelUnavailable(
                        f"{exc.smtp_code} {exc.smtp_error!r}", results
                    ) from exc
            except (smtplib.SMTPServerDisconnected, OSError) as exc:
                self.close()
                if retried:
                    raise ChannelUnavailable(str(exc) or type(exc).__name__, results) from exc
                retried = True  # the server dropped an idle connection: reopen once
        return results

    def _raw(self, m: OutgoingMessage) -> bytes:
        s = self.settings
        return build_message(m, sender=s.sender, domain=s.domain, date=self._date)

    def _sent(self, m: OutgoingMessage) -> SendResult:
        return SendResult(
            delivery_id=m.delivery_id,
            accepted=True,
            message_id=message_id(m, self.settings.domain),
        )

    def _one(self, conn: smtplib.SMTP, m: OutgoingMessage, results: list[SendResult]) -> None:
        """One message through ``sendmail`` (four round trips)."""
        try:
            conn.sendmail(self.settings.sender, [m.to], self._raw(m))
        except smtplib.SMTPRecipientsRefused as exc:
            results.append(_refused(m, str(exc.recipients.get(m.to, exc))))
        else:
            results.append(self._sent(m))

    def _pipelined(
        self, conn: smtplib.SMTP, messages: Sequence[OutgoingMessage], results: list[SendResult]
    ) -> None:
        """The messages from ``len(results)`` on, one round trip each; a result is added
        per message when its last reply is in (a refusal resets the transaction)."""
        mail = f"MAIL FROM:{_address(self.settings.sender)}\r\n".encode()
        held: tuple[OutgoingMessage, bytes] | None = None  # its DATA was accepted
        for m in [*messages[len(results) :], None]:
            group = [] if held is None else [data_block(held[1])]
            if m is not None:
                if "\r" in m.to or "\n" in m.to:
                    raise smtplib.SMTPResponseException(553, b"bad recipient address")
                group += [mail, f"RCPT TO:{_address(m.to)}\r\nDATA\r\n".encode()]
            conn.send(b"".join(group))
            if held is not None:
                code, text = conn.getreply()
                if code == 250:
                    results.append(self._sent(held[0]))
                elif code >= 500:
                    results.append(_refused(held[0], f"{code} {text!r}"))
                else:
                    raise _Stop(code, text)
                held = None
            if m is None:
                return
            replies = [conn.getreply() for _ in range(3)]
            (mail_code, mail_text), (rcpt_code, rcpt_text), (data_code, data_text) = replies
            if mail_code == 250 and rcpt_code in (250, 251) and data_code == 354:
                held = (m, self._raw(m))
                continue
            if data_code == 354:  # the server took DATA for a refused envelope: no way back
                self.close()
                raise smtplib.SMTPServerDisconnected("DATA accepted for a refused envelope")
            if mail_code == 250 and rcpt_code not in (250, 251):
                # a refused recipient, whatever its code, refuses the message (as sendmail)
                results.append(_refused(m, f"({rcpt_code}, {rcpt_text!r})"))
                conn.rset()
                continue
            code, text = (mail_code, mail_text) if mail_code != 250 else (data_code, data_text)
            if code < 500:
                raise _Stop(code, text)
            results.append(_refused(m, f"{code} {text!r}"))
            conn.rset()

    def _reset(self) -> None:
        if self._conn is not None:
            try:
                self._conn.rset()
            except (smtplib.SMTPException, OSError):
                self.close()

    def close(self) -> None:
        """Say QUIT and drop the connection."""
        conn, self._conn = self._conn, None
        if conn is not None:
            try:
                conn.quit()
            except (smtplib.SMTPException, OSError):
                conn.close()


def _refused(m: OutgoingMessage, why: str) -> SendResult:
    return SendResult(delivery_id=m.delivery_id, accepted=False, error=why[:500])
