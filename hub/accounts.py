"""Who may sign in to the hub and what each role may do; the audit log of changes.

Passwords are hashed with werkzeug.security (scrypt). Failed sign-ins are kept in the
database, so guessing is slowed across every hub process alike: after ``MAX_FAILURES``
failures for one user name, or ``MAX_FAILURES_PER_ADDRESS`` from one address, within
``FAILURE_WINDOW``, sign-in is refused until the window has passed. Permissions are data:
each names the roles that have it, so a page or an action asks for a permission, never
for a role.
"""
import re
from datetime import timedelta

from werkzeug.security import check_password_hash, generate_password_hash

from shared.times import now

from .models import AuditEntry, SignInAttempt, User

ROLES = {"admin": "Admin", "store_manager": "Store manager", "marketing": "Marketing",
         "viewer": "Viewer"}
PERMISSIONS = {
    "fleet.view": {"admin", "store_manager", "viewer"},
    "fleet.manage": {"admin"},
    "dead_letters.view": {"admin"},
    "sales.view": {"admin", "store_manager", "viewer"},
    "users.manage": {"admin"},
    "catalog.view": {"admin", "store_manager", "marketing", "viewer"},
    "catalog.edit": {"admin", "store_manager"},
    "catalog.publish": {"admin", "store_manager"},
    "promotions.edit": {"admin", "store_manager", "marketing"},
    "stores.manage": {"admin"},
    "audit.view": {"admin"},
    "reports.view": {"admin", "store_manager", "marketing", "viewer"},
    "segments.view": {"admin", "store_manager", "marketing"},
    "loyalty.view": {"admin", "store_manager", "marketing"},
    "loyalty.manage": {"admin", "marketing"},
    "segments.edit": {"admin", "marketing"},
    "campaigns.view": {"admin", "store_manager", "marketing"},
    "campaigns.edit": {"admin", "marketing"},
    "mail.manage": {"admin"},
    "inventory.view": {"admin", "store_manager", "viewer"},
    "inventory.manage": {"admin", "store_manager"},
    "inventory.approve": {"admin", "store_manager"},
    "tenders.view": {"admin", "store_manager", "viewer"},
    "tenders.manage": {"admin", "store_manager"},
    # Customers' personal data: not for viewers. Merging, exporting and erasing cannot be
    # taken back, or hand all of a person's data over: admins.
    "customers.view": {"admin", "store_manager", "marketing"},
    "customers.edit": {"admin", "store_manager"},
    "customers.merge": {"admin"},
    "customers.export": {"admin"},
    "customers.erase": {"admin"},
}
MAX_FAILURES = 5
MAX_FAILURES_PER_ADDRESS = 20
FAILURE_WINDOW = timedelta(minutes=15)
MIN_PASSWORD = 10
_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
_UNKNOWN_USER_HASH = generate_password_hash("no user has this password")


class AccountError(ValueError):
    """A sign-in or account change that cannot be done; the message says why."""


def may(user, permission):
    return user is not None and user.role in PERMISSIONS[permission]


def audit(user, action, target="", detail=None):
    """Record a change; ``user`` is a User or a process name such as "system"."""
    AuditEntry.create(user=getattr(user, "username", user), action=action, target=target,
                      detail=detail or {})


def create_user(by, username, name, role, password):
    """A new user, checked; audited as done by ``by``."""
    username = (username or "").strip().lower()
    if not _USERNAME.fullmatch(username):
        raise AccountError("user name: 2-32 characters a-z 0-9 . _ -, starting with a letter "
                           "or digit")
    if role not in ROLES:
        raise AccountError(f"role: one of {', '.join(ROLES)}")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise AccountError("name: 1-100 characters")
    if not isinstance(password, str) or len(password) < MIN_PASSWORD:
        raise AccountError(f"password: at least {MIN_PASSWORD} characters")
    if User.select().where(User.username == username).exists():
        raise AccountError(f"user name {username} is taken")
    user = User.create(username=username, name=name, role=role,
                       password_hash=generate_password_hash(password))
    audit(by, "user.create", username, {"role": role, "name": name})
    return user


def authenticate(username, password, address):
    """The user, or AccountError: wrong credentials (never saying which part) or too many
    recent failures."""
    username = (username or "").strip().lower()
    since = now() - FAILURE_WINDOW
    recent = SignInAttempt.select().where(SignInAttempt.at > since)
    if (recent.where(SignInAttempt.username == username).count() >= MAX_FAILURES
            or recent.where(SignInAttempt.address == address).count()
            >= MAX_FAILURES_PER_ADDRESS):
        raise AccountError("too many failed sign-ins: try again in "
                           f"{FAILURE_WINDOW.seconds // 60} minutes")
    user = User.get_or_none((User.username == username) & User.active)
    # An unknown name costs a hash check too, so timing does not tell which names exist.
    stored = user.password_hash if user else _UNKNOWN_USER_HASH
    if not check_password_hash(stored, password or "") or user is None:
        SignInAttempt.create(username=username, address=address)
        raise AccountError("user name or password is not right")
    SignInAttempt.delete().where(SignInAttempt.username == username).execute()
    audit(user, "user.sign_in")
    return user
