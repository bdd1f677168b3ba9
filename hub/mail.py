"""The SMTP server the hub sends campaign emails through, set on the *Email* page.

One row of settings (``MailSettings``): the shop's own mail provider or relay, with
STARTTLS, TLS from the start, or neither (a relay on the same machine). The password is
kept in the hub's database like the broker's logins are in its files: whoever can read the
database can read it, so give the hub an account that can only send.
"""
import re
import smtplib
import ssl
from email.message import EmailMessage

from shared.times import now
from shared.whole_numbers import whole_number

from .accounts import audit
from .models import MailSettings

_ADDRESS = re.compile(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+")
TIMEOUT_S = 20


class MailError(RuntimeError):
    """The server could not be reached or refused us; the message says what happened."""


def settings():
    """The saved settings, or unsaved defaults."""
    return MailSettings.get_or_none() or MailSettings()


def configured(current=None):
    current = current or settings()
    return bool(current.host and current.sender)


def is_address(text):
    return bool(_ADDRESS.fullmatch(text or ""))


def save(by, values):
    """Save the settings from form ``values``: (MailSettings, None) or (None, errors). An
    empty password keeps the one saved."""
    errors, current = {}, settings()
    host = (values.get("host") or "").strip()
    if not re.fullmatch(r"[A-Za-z0-9.:\-\[\]]{1,253}", host):
        errors["host"] = "the server's name or address, e.g. smtp.example.com"
    port = (values.get("port") or "").strip()
    if whole_number(port, 65535, least=1) is None:
        errors["port"] = "a port number, 1-65535 (587 for STARTTLS, 465 for TLS)"
    security = values.get("security") or ""
    if security not in MailSettings.SECURITY:
        errors["security"] = f"one of {', '.join(MailSettings.SECURITY)}"
    sender = (values.get("sender") or "").strip()
    if not is_address(sender) or len(sender) > 200:
        errors["sender"] = "an email address, e.g. offers@example.com"
    username = (values.get("username") or "").strip()
    if len(username) > 200:
        errors["username"] = "at most 200 characters"
    password = values.get("password") or ""
    if len(password) > 200:
        errors["password"] = "at most 200 characters"
    if errors:
        return None, errors
    current.host, current.port, current.security = host, int(port), security
    current.sender, current.username = sender, username
    if password:
        current.password = password
    current.updated_by, current.updated_at = getattr(by, "username", by), now()
    current.save()
    audit(by, "mail.settings", host, {"port": current.port, "security": security,
                                      "sender": sender, "username": username})
    return current, None


def connect(current=None):
    """An SMTP connection to the server, signed in if there is a username. MailError
    says why not."""
    current = current or settings()
    if not configured(current):
        raise MailError("email is not set up: fill in the Email page")
    try:
        if current.security == "tls":
            server = smtplib.SMTP_SSL(current.host, current.port, timeout=TIMEOUT_S,
                                      context=ssl.create_default_context())
        else:
            server = smtplib.SMTP(current.host, current.port, timeout=TIMEOUT_S)
            if current.security == "starttls":
                server.starttls(context=ssl.create_default_context())
        if current.username:
            server.login(current.username, current.password)
        return server
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"could not use {current.host}:{current.port}: {exc}") from exc


def send_test(to):
    """A test message to ``to``, so an admin sees the settings work; MailError if not."""
    current = settings()
    message = EmailMessage()
    message["From"], message["To"] = current.sender, to
    message["Subject"] = "Tilly hub: test message"
    message.set_content("The hub can send email through this server.")
    server = connect(current)
    try:
        server.send_message(message)
    except (OSError, smtplib.SMTPException) as exc:
        raise MailError(f"{current.host} did not take the message: {exc}") from exc
    finally:
        quit_quietly(server)


def quit_quietly(server):
    try:
        server.quit()
    except (OSError, smtplib.SMTPException):
        server.close()
