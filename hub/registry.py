"""The hub's registry of tills and their pairing codes.

``pair`` issues a one-time code for a store/till (8 characters, 15 minutes, kept only as
a scrypt hash). A right code is used once (``check_code``, then ``record_enrollment``
once the broker has the till's login); 5 wrong ones lock the pairing until an admin pairs
the till again. A till that is enrolled must be revoked
before it is paired again, so a stray ``pair`` never takes over a working till.
"""
import datetime
import secrets

from peewee import CharField, DateTimeField, IntegerField, Model
from werkzeug.security import check_password_hash, generate_password_hash

from shared.protocol.enrollment import CODE_ALPHABET, CODE_LENGTH, check_names
from shared.times import now

CODE_LIFETIME = datetime.timedelta(minutes=15)
MAX_FAILURES = 5


class RegistryError(ValueError):
    """What an admin asked cannot be done; the message says why."""


class RegistryModel(Model):
    """Bound to the hub's database with the other models (``hub.models.MODELS``)."""

    class Meta:
        database = None
        legacy_table_names = False


class EnrolledTill(RegistryModel):
    store = CharField()
    till = CharField()
    enrolled_at = DateTimeField(default=now)
    revoked_at = DateTimeField(null=True)

    class Meta:
        indexes = ((("store", "till"), False),)


class PairingCode(RegistryModel):
    """The one pending code of a store/till; a new ``pair`` replaces it."""

    store = CharField()
    till = CharField()
    code_hash = CharField()
    expires_at = DateTimeField()
    failures = IntegerField(default=0)

    class Meta:
        indexes = ((("store", "till"), True),)


def _of(model, store, till):
    return (model.store == store) & (model.till == till)


def _drop_code(store, till):
    PairingCode.delete().where(_of(PairingCode, store, till)).execute()


def enrolled(store, till):
    """The till's current enrollment, if it has one that is not revoked."""
    return EnrolledTill.get_or_none(_of(EnrolledTill, store, till)
                                    & EnrolledTill.revoked_at.is_null())


def pair(database, store, till):
    """A new pairing code for ``store``/``till``, shown once: ``ABCD-EFGH``."""
    check_names(store, till)
    code = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    code_hash = generate_password_hash(code, method="scrypt")
    with database.atomic():
        if enrolled(store, till):
            raise RegistryError(f"till {store}/{till} is enrolled: revoke it first "
                                "(python -m hub revoke)")
        _drop_code(store, till)
        PairingCode.create(store=store, till=till, code_hash=code_hash,
                           expires_at=now() + CODE_LIFETIME)
    return f"{code[:4]}-{code[4:]}"


def check_code(database, store, till, code):
    """True if ``code`` is the pending code of ``store``/``till``, not expired and not
    locked (``record_enrollment`` then uses it up). A wrong code counts towards the lock."""
    with database.atomic():
        pending = PairingCode.get_or_none(_of(PairingCode, store, till))
        if (pending is None or pending.failures >= MAX_FAILURES
                or pending.expires_at < now()):
            return False
        if not check_password_hash(pending.code_hash, code):
            pending.failures += 1
            pending.save()
            return False
        return True


def record_enrollment(database, store, till):
    with database.atomic():
        _drop_code(store, till)
        EnrolledTill.create(store=store, till=till)


def record_revocation(database, store, till):
    """Marks the till revoked and drops any pending code; False if it was not enrolled."""
    with database.atomic():
        _drop_code(store, till)
        return bool(EnrolledTill.update(revoked_at=now()).where(
            _of(EnrolledTill, store, till) & EnrolledTill.revoked_at.is_null()).execute())
