"""E-mail over SMTP with the standard library's ``smtplib``.

One connection is opened on the first batch and reused for every later one (it is
reopened once when the server dropped it). ``smtp://host:port`` speaks plain SMTP,
``?starttls=1`` upgrades it, ``smtps://`` is TLS from the start; ``user:password@``
logs in. Every message carries its ``Message-ID`` (a function of the delivery, so a
re-send after a crash carries the same one) and the headers the caller gives
(``List-Unsubscribe``).
"""

from __future__ import annotations

import quopri
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


def message_id(m: OutgoingMessage, domain: str) -> str:
    """The Message-ID of a delivery: the same on every attempt."""
    return f"<{m.delivery_id}@{domain}>"


class SmtpChannel:
    """The e-mail :class:`crmcore.ports.marketing.MessageChannel`."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._conn: smtplib.SMTP | None = None

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
        except (OSError, smtplib.SMTPException) as exc:
            raise ChannelUnavailable(f"cannot reach {s.host}:{s.port}: {exc}") from exc
        return conn

    def send(self, messages: Sequence[OutgoingMessage]) -> Sequence[SendResult]:
        results: list[SendResult] = []
        retried = False
        domain = self.settings.domain
        date = formatdate(usegmt=True)
        i = 0
        while i < len(messages):
            if self._conn is None:
                self._conn = self._connect()
            m = messages[i]
            raw = build_message(m, sender=self.settings.sender, domain=domain, date=date)
            try:
                self._conn.sendmail(self.settings.sender, [m.to], raw)
            except smtplib.SMTPRecipientsRefused as exc:
                results.append(_refused(m, str(exc.recipients.get(m.to, exc))))
            except smtplib.SMTPResponseException as exc:
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
                continue
            else:
                results.append(
                    SendResult(
                        delivery_id=m.delivery_id, accepted=True, message_id=message_id(m, domain)
                    )
                )
            i += 1
        return results

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
