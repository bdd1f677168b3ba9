"""The fleet of tills as the hub sees it: who is online, what runs where, and alerts.

Presence comes from the tills' birth and death messages (``hub/ingest.py``). An alert is
raised when a till goes offline or reports a backlog of unsent messages at or above
``BACKLOG_ALERT``, kept until the condition ends, and logged when raised, so an admin
sees it on the fleet page and in the hub's log.
"""
import logging

from shared.times import now

from .models import FleetAlert, TillPresence

log = logging.getLogger(__name__)

BACKLOG_ALERT = 100  # messages a till has not yet delivered


def conditions(presence):
    """kind -> detail of each alert the till's presence calls for now."""
    found = {}
    if not presence.online:
        found["offline"] = "the till is offline"
    elif presence.backlog >= BACKLOG_ALERT:
        found["backlog"] = f"{presence.backlog} messages waiting to reach the hub"
    return found


def update_alerts(presence):
    """Raise the alerts the presence calls for and clear the others (in the caller's
    transaction)."""
    wanted = conditions(presence)
    open_alerts = {alert.kind: alert for alert in FleetAlert.select().where(
        (FleetAlert.store == presence.store) & (FleetAlert.till == presence.till)
        & FleetAlert.cleared_at.is_null())}
    for kind, alert in open_alerts.items():
        if kind not in wanted:
            alert.cleared_at = now()
            alert.save()
    for kind, detail in wanted.items():
        if kind not in open_alerts:
            FleetAlert.create(store=presence.store, till=presence.till, kind=kind,
                              detail=detail)
            log.warning("till %s/%s: %s", presence.store, presence.till, detail)


def fleet():
    """Every till the hub has heard of, with its open alerts, store by store."""
    alerts = {}
    for alert in FleetAlert.select().where(FleetAlert.cleared_at.is_null()):
        alerts.setdefault((alert.store, alert.till), []).append(alert.detail)
    return [{"store": p.store, "till": p.till, "online": p.online, "software": p.software,
             "catalog": p.catalog, "backlog": p.backlog,
             "last_seen": p.last_seen.isoformat() if p.last_seen else None,
             "last_sale_at": p.last_sale_at, "alerts": alerts.get((p.store, p.till), [])}
            for p in TillPresence.select().order_by(TillPresence.store, TillPresence.till)]
