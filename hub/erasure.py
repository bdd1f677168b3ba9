"""What an erased customer leaves in the catalogs: the tills' copy, and the versions the
hub keeps (every store's, each a whole snapshot with the delta from the one before).

Erasure (``customers.erase``) blanks the customer at once and queues their ids here. The
catalog server's jobs then, in ``forget_erased``:

1. publish a new version of each store whose latest still lists them: online tills drop
   them at once (the delta removes them), offline tills when they come back;
2. blank them in every kept version, snapshots and deltas: only the id and the member
   flag stay, which the sale check reads to re-price a late sale of theirs. A version
   that changed gets the digest of what it now holds, so a till still running it holds
   another digest and is sent the latest whole, never a delta from content it lacks.

The versions are read a page at a time, each once a round however many were erased.
"""
import json
import logging

from shared import catalog_delta
from shared.times import now

from . import stores
from .catalog_versions import CatalogRefused, CatalogVersion, latest
from .models import CatalogErasure, Store

log = logging.getLogger(__name__)

PAGE = 20  # versions read at a time: a big store's snapshot is megabytes


def forget_erased(database):
    """Publish and blank as above for the ids queued; how many kept versions changed."""
    pending = {row.code for row in CatalogErasure.select().where(
        CatalogErasure.done_at.is_null())}
    if not pending:
        return 0
    needles = [f'"id":{catalog_delta.canonical(code)}' for code in sorted(pending)]
    for store in Store.select().order_by(Store.code):
        last = latest(store.code)
        if last is not None and _names(last.snapshot, needles):
            try:
                stores.publish(database, store, "system")
            except CatalogRefused as exc:  # blanked below all the same
                log.error("store %s not published after an erasure: %s", store.code, exc)
    changed, after = 0, 0
    while True:
        rows = list(CatalogVersion.select().where(CatalogVersion.id > after)
                    .order_by(CatalogVersion.id).limit(PAGE))
        if not rows:
            break
        after = rows[-1].id
        for row in rows:
            if _names(row.snapshot, needles) or _names(row.delta or "", needles):
                _blank(database, row, pending)
                changed += 1
    CatalogErasure.update(done_at=now()).where(CatalogErasure.code.in_(pending)).execute()
    return changed


def _names(text, needles):
    return any(needle in text for needle in needles)


def _blank(database, row, codes):
    snapshot = json.loads(row.snapshot)
    snapshot["customers"] = [_blanked(entry) if str(entry["id"]) in codes else entry
                             for entry in snapshot["customers"]]
    delta = json.loads(row.delta or "{}")
    upserted = delta.get("upsert", {}).get("customers", {})
    for key in upserted.keys() & codes:
        upserted[key] = _blanked(upserted[key])
    with database.atomic():
        CatalogVersion.update(
            snapshot=catalog_delta.canonical(snapshot), digest=catalog_delta.digest(snapshot),
            delta=catalog_delta.canonical(delta) if row.delta else None).where(
                CatalogVersion.id == row.id).execute()


def _blanked(entry):
    """A till's customer entry with nothing personal left: a card no one scans."""
    return {"id": entry["id"], "name": "", "card": "", "member": entry.get("member", True)}
