"""A till that cannot reach its broker for days sells on as usual: three days of trading
(a cash session a day, cash and card sales, a return, Z reports) with the broker down,
then every sale and Z report reaches the hub once when the broker is back."""
from edge.app import create_app
from edge.config import merge
from edge.models import Outbox
from hub.ingest import Ingest
from hub.models import Sale, ZReport, open_database
from tests.conftest import USERS
from tests.edge.conftest import MILK, PINS, WINE, Api
from tests.waiting import wait_for

DAYS, SALES_A_DAY = 3, 40


def trade_a_day(api, day):
    """A day at the counter; the numbers of its sales and of its Z report."""
    api.post("/api/session/open", {"float": 10000})
    sold = []
    for number in range(SALES_A_DAY):
        api.post("/api/sale/scan", {"code": MILK})
        if number % 3:
            api.post("/api/sale/scan", {"code": WINE})
        if number % 2:
            sold.append(api.post("/api/sale/tender", {"type": "card"})["sale"])
        else:
            sold.append(api.post("/api/sale/tender", {"type": "cash", "amount": 5000})
                        ["sale"])
            api.post("/api/sim/drawer", {"state": "closed"})  # the cashier shuts it
    # A customer brings back a bottle of the day's first card sale: refunded to the card.
    assert [line["sku"] for line in sold[1]["lines"]] == ["MILK", "WINE"]
    assert api.post("/api/returns", {"code": sold[1]["ref"]})["sale"]["kind"] == "refund"
    api.post("/api/sale/return-lines", {"original_position": 2})
    refund = api.post("/api/sale/refund", {"approver_pin": PINS["S02"]})["sale"]
    assert [payment["type"] for payment in refund["payments"]] == ["card"]
    sold.append(refund)
    z = api.post("/api/session/close", {"counted": {}})["report"]
    return [sale["uuid"] for sale in sold], z["z_number"]


def test_three_days_with_no_broker_lose_nothing(till_config, broker, tmp_path):
    broker.stop()
    app = create_app(merge(till_config, {"hub": {"host": "127.0.0.1", "port": broker.port,
                                                 "password": "till-secret"}}))
    till = app.extensions["till"]
    ingest = None
    try:
        api = Api(app.test_client())
        api.post("/api/auth/sign-in", {"pin": PINS["S01"]})
        sold, z_numbers = [], []
        for day in range(DAYS):
            sales, z_number = trade_a_day(api, day)
            sold += sales
            z_numbers.append(z_number)
        assert z_numbers == [1, 2, 3]
        assert till.journal.outbox_backlog() == len(sold) + DAYS == DAYS * (SALES_A_DAY + 2)
        broker.start()
        ingest = Ingest(open_database(tmp_path / "hub.sqlite3"),
                        {"port": broker.port, "password": USERS["hub"]})
        ingest.start()
        wait_for(lambda: Sale.select().count() == len(sold), timeout=60)
        wait_for(lambda: Outbox.select().where(Outbox.confirmed_at.is_null()).count() == 0,
                 timeout=60)
        assert sorted(sale.uuid for sale in Sale.select()) == sorted(sold)
        assert sorted(z.z_number for z in ZReport.select()) == [1, 2, 3]
    finally:
        if ingest is not None:
            ingest.stop()
        till.link.stop()
        till.devices.close()
