"""E-mail over SMTP (`SMTP_URL`): `smtp://[user:password@]host[:port]` speaks STARTTLS when the
server offers it, `smtps://` is TLS from the start. Unset, nothing is sent."""

from __future__ import annotations

import logging
import smtplib
import ssl
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from consumo.config import get_settings

logger = logging.getLogger(__name__)


def mail_configured() -> bool:
    return bool(get_settings().smtp_url)


def send_mail(to: str, subject: str, body: str) -> bool:
    """Sends one plain-text message; False (logged) when no server is configured or it fails."""
    settings = get_settings()
    if not settings.smtp_url:
        return False
    url = urlsplit(settings.smtp_url)
    message = EmailMessage()
    message["From"] = settings.smtp_from
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    host = url.hostname or "localhost"
    try:
        if url.scheme == "smtps":
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                host, url.port or 465, timeout=settings.smtp_timeout_s, context=ssl.create_default_context()
            )
        else:
            client = smtplib.SMTP(host, url.port or 25, timeout=settings.smtp_timeout_s)
        with client:
            if url.scheme != "smtps":
                client.ehlo()
                if client.has_extn("starttls"):
                    client.starttls(context=ssl.create_default_context())
                    client.ehlo()
            if url.username:
                client.login(unquote(url.username), unquote(url.password or ""))
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        logger.warning("e-mail to %s not sent: %s", to.rsplit("@", maxsplit=1)[-1], type(exc).__name__)
        return False
    return True
