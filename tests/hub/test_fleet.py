"""Fleet presence and alerts: a till that goes offline or falls behind is flagged until it
is back, and a late Will raises nothing."""
import json
import subprocess
import sys

import pytest

from hub.fleet import BACKLOG_ALERT, fleet
from hub.ingest import apply
from hub.models import FleetAlert, open_database
from shared.protocol import Envelope, encode
from tests.hub.test_ingest import TOPIC, sale_message

TILL = "tilly/v1/store-1/T01/"


def presence(kind, bd_seq, backlog=0, till="T01"):
    body = {"bd_seq": bd_seq}
    if kind == "birth":
        body.update(software="0.2.0", catalog="7", backlog=backlog)
    return encode(Envelope(kind=kind, store="store-1", till=till, seq=max(bd_seq, 1),
                           id=str(bd_seq), at="2026-11-25T10:00:00+00:00", body=body))


def open_alerts():
    return sorted(alert.kind for alert in
                  FleetAlert.select().where(FleetAlert.cleared_at.is_null()))


@pytest.fixture
def hub_path(tmp_path):
    path = tmp_path / "hub.sqlite3"
    open_database(path)
    return path


def test_offline_is_alerted_until_the_till_is_back(hub_path):
    database = FleetAlert._meta.database
    apply(database, TILL + "birth", presence("birth", 1))
    assert open_alerts() == []
    apply(database, TILL + "death", presence("death", 1))
    assert open_alerts() == ["offline"]
    apply(database, TILL + "death", presence("death", 1))  # the Will again: one alert
    assert FleetAlert.select().count() == 1
    apply(database, TILL + "birth", presence("birth", 2))
    assert open_alerts() == []
    assert FleetAlert.get().cleared_at is not None


def test_a_late_will_raises_no_alert(hub_path):
    database = FleetAlert._meta.database
    apply(database, TILL + "birth", presence("birth", 5))
    assert apply(database, TILL + "death", presence("death", 4)) == "stale"
    assert open_alerts() == []


def test_a_growing_backlog_is_alerted(hub_path):
    database = FleetAlert._meta.database
    apply(database, TILL + "birth", presence("birth", 1, backlog=BACKLOG_ALERT - 1))
    assert open_alerts() == []
    apply(database, TILL + "birth", presence("birth", 2, backlog=BACKLOG_ALERT + 50))
    assert open_alerts() == ["backlog"]
    assert str(BACKLOG_ALERT + 50) in FleetAlert.get().detail
    apply(database, TILL + "birth", presence("birth", 3, backlog=0))
    assert open_alerts() == []


def status(bd_seq, backlog, catalog="7"):
    return encode(Envelope(kind="status", store="store-1", till="T01", seq=bd_seq,
                           id=str(bd_seq), at="2026-11-25T10:05:00+00:00",
                           body={"bd_seq": bd_seq, "catalog": catalog, "backlog": backlog}))


def test_a_backlog_growing_while_online_is_alerted_from_the_status(hub_path):
    database = FleetAlert._meta.database
    apply(database, TILL + "birth", presence("birth", 3, backlog=0))
    assert apply(database, TILL + "status", status(3, BACKLOG_ALERT + 7, "8")) == "applied"
    assert open_alerts() == ["backlog"]
    assert (fleet()[0]["backlog"], fleet()[0]["catalog"]) == (BACKLOG_ALERT + 7, "8")
    assert apply(database, TILL + "status", status(2, 0)) == "stale"  # an old connection's
    assert open_alerts() == ["backlog"]
    apply(database, TILL + "status", status(3, 0))
    assert open_alerts() == []


def test_the_fleet_lists_each_till_with_what_it_runs(hub_path):
    database = FleetAlert._meta.database
    apply(database, TILL + "birth", presence("birth", 1, backlog=3))
    apply(database, TOPIC, sale_message("u-9", 9, completed_at="2026-11-25T10:05:00+00:00"))
    apply(database, "tilly/v1/store-1/T02/death", presence("death", 0, till="T02"))
    tills = fleet()
    assert [(t["till"], t["online"], t["software"], t["catalog"], t["backlog"])
            for t in tills] == [("T01", True, "0.2.0", "7", 3),
                                ("T02", False, None, None, 0)]
    assert tills[0]["last_sale_at"] == "2026-11-25T10:05:00+00:00"
    assert tills[1]["alerts"] == ["the till is offline"]
    listed = subprocess.run([sys.executable, "-m", "hub", "fleet", "--db", str(hub_path)],
                            capture_output=True, text=True, check=True)
    assert json.loads(listed.stdout) == tills
