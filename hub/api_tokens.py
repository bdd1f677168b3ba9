"""Tokens for the hub's JSON API: an admin issues one for a user, the integration sends it
as ``Authorization: Bearer <token>``, and it may do what that user's role may.

A token is 32 random bytes, shown once when issued; the hub keeps its SHA-256 only (a
random secret of that size needs no slow hash), so a copy of the database gives no
working token. Tokens expire if given a lifetime, can be revoked, and stop working when
their user is deactivated.
"""
import hashlib
import secrets
from datetime import timedelta

from shared.times import now

from .accounts import AccountError, audit
from .models import ApiToken, User

PREFIX = "tilly_"
MAX_DAYS = 3650
LAST_USED_EVERY = timedelta(minutes=1)  # how stale "last used" may be: a write saved a call


def _digest(secret):
    return hashlib.sha256(secret.encode()).hexdigest()


def issue(by, user, name, days=None):
    """A new token for ``user``: (ApiToken, the secret to show once)."""
    name = (name or "").strip()
    if not 1 <= len(name) <= 100:
        raise AccountError("name: 1-100 characters, e.g. what the integration is")
    if days is not None and not (isinstance(days, int) and 1 <= days <= MAX_DAYS):
        raise AccountError(f"lifetime: 1 to {MAX_DAYS} days, or none")
    secret = PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.create(user=user, name=name, digest=_digest(secret),
                            prefix=secret[:len(PREFIX) + 6],
                            expires_at=now() + timedelta(days=days) if days else None)
    audit(by, "token.issue", f"{user.username}/{name}", {"prefix": token.prefix,
                                                          "days": days})
    return token, secret


def revoke(by, token):
    token.revoked_at = now()
    token.save()
    audit(by, "token.revoke", f"{token.user.username}/{token.name}", {"prefix": token.prefix})


def user_of(secret):
    """The active user a presented token acts as, or None."""
    if not secret or not secret.startswith(PREFIX) or len(secret) > 200:
        return None
    token = (ApiToken.select(ApiToken, User).join(User)
             .where(ApiToken.digest == _digest(secret)).first())
    moment = now()
    if token is None or token.revoked_at is not None or not token.user.active \
            or token.expires_at is not None and token.expires_at <= moment:
        return None
    if token.last_used_at is None or moment - token.last_used_at > LAST_USED_EVERY:
        ApiToken.update(last_used_at=moment).where(ApiToken.id == token.id).execute()
    return token.user


def status(token, moment=None):
    moment = moment or now()
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at is not None and token.expires_at <= moment:
        return "expired"
    return "active"
