"""Alert e-mails over SMTP (smtplib), with the DASHBOARD_SMTP_* settings.

One connection serves every message of a run; when the server cannot be reached, each message
fails at once with that reason instead of waiting out the timeout again.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from types import TracebackType

from alerts.digest import Digest
from config.settings import Settings

TIMEOUT = 10  # seconds for connecting and for each answer of the server
IMPLICIT_TLS_PORT = 465


class MailError(RuntimeError):
    """A message could not be sent; the text says why (never the password)."""


def message(settings: Settings, to: str, digest: Digest) -> EmailMessage:
    """The digest as an e-mail: plain text, with the HTML as an alternative."""
    mail = EmailMessage()
    mail["Subject"] = digest.subject
    mail["From"] = settings.smtp_from
    mail["To"] = to
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    mail.set_content(digest.text)
    mail.add_alternative(f"<!doctype html><html lang=\"en\"><body>{digest.html}</body></html>",
                         subtype="html")
    return mail


class Mailer:
    """Sends messages through one SMTP connection, opened on the first message."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._smtp: smtplib.SMTP | None = None
        self._broken: str | None = None  # why the connection could not be made

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if self._smtp is not None:
            try:
                self._smtp.quit()
            except (OSError, smtplib.SMTPException):
                self._smtp.close()

    def send(self, mail: EmailMessage) -> None:
        """Send one message; MailError when it was not accepted."""
        smtp = self._connection()
        try:
            refused = smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"{self._where()}: {_reason(exc)}") from None
        if refused:
            raise MailError(f"{self._where()} refused {', '.join(refused)}")

    def _connection(self) -> smtplib.SMTP:
        if self._broken:
            raise MailError(self._broken)
        if self._smtp is None:
            try:
                self._smtp = self._connect()
            except (OSError, smtplib.SMTPException) as exc:
                self._broken = f"cannot send through {self._where()}: {_reason(exc)}"
                raise MailError(self._broken) from None
        return self._smtp

    def _connect(self) -> smtplib.SMTP:
        s = self._settings
        context = ssl.create_default_context()
        if s.smtp_port == IMPLICIT_TLS_PORT:
            smtp: smtplib.SMTP = smtplib.SMTP_SSL(s.smtp_host, s.smtp_port, timeout=TIMEOUT,
                                                  context=context)
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=TIMEOUT)
        try:
            if s.smtp_port != IMPLICIT_TLS_PORT and s.smtp_starttls:
                smtp.starttls(context=context)
            if s.smtp_user:
                smtp.login(s.smtp_user, s.smtp_password)
        except (OSError, smtplib.SMTPException):
            smtp.close()
            raise
        return smtp

    def _where(self) -> str:
        return f"{self._settings.smtp_host}:{self._settings.smtp_port}"


def _reason(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        detail = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) \
            else str(exc.smtp_error)
        return f"{exc.smtp_code} {detail}"
    return str(exc) or type(exc).__name__
