"""Payment terminals: the simulated one's outcomes and bounds, and the nexo backend against
a real HTTP server on this machine playing the terminal."""
import dataclasses
import json
import socket
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import payment
from drivers.payment import MAX_AMOUNT, PaymentResult
from drivers.payment.nexo import major_units
from drivers.payment.simulated import BRANDS


@pytest.fixture
def terminal():
    return payment.create({"backend": "simulated", "timeout_s": 0.05})


# --- simulated terminal ---------------------------------------------------------------


def test_approval_carries_a_deterministic_card_and_auth_code(terminal):
    result = terminal.charge(1250, "EUR", "T01-000042")
    assert result.status == "approved" and result.approved
    assert (result.amount, result.reference) == (1250, "T01-000042")
    assert result.card_brand in BRANDS
    assert len(result.last4) == 4 and result.last4.isdigit()
    assert len(result.auth_code) == 6 and result.auth_code.isalnum()
    assert result.auth_code in result.message and result.last4 in result.message
    assert terminal.charge(1250, "EUR", "T01-000042") == result
    assert terminal.charge(1250, "EUR", "T01-000043").auth_code != result.auth_code


def test_refund_shows_the_card_of_the_refunded_sale(terminal):
    sale = terminal.charge(1250, "EUR", "T01-000042")
    refund = terminal.refund(500, "EUR", "T01-000050", original_reference="T01-000042")
    assert refund.status == "approved"
    assert (refund.amount, refund.reference) == (500, "T01-000050")
    assert (refund.card_brand, refund.last4) == (sale.card_brand, sale.last4)
    assert refund.auth_code != sale.auth_code


@pytest.mark.parametrize(
    ("outcome", "status"),
    [("approve", "approved"), ("decline", "declined"), ("timeout", "timeout"), ("error", "error")],
)
def test_next_outcome_forces_one_request(terminal, outcome, status):
    terminal.next_outcome(outcome)
    result = terminal.charge(1000, "EUR", "T01-1")
    assert result.status == status
    assert result.message
    assert (result.auth_code is not None) == (status == "approved")
    assert terminal.charge(1000, "EUR", "T01-2").status == "approved"


def test_next_outcome_refuses_unknown_outcomes(terminal):
    with pytest.raises(ValueError, match="approve, decline, timeout, error"):
        terminal.next_outcome("approved")


@pytest.mark.parametrize(
    ("amount", "status"),
    [(1000, "approved"), (1, "declined"), (1201, "declined"), (1002, "timeout"),
     (1003, "error"), (1004, "approved"), (1010, "approved"), (1100, "approved")],
)
def test_amount_rule_examples(amount, status):
    assert payment.create({"timeout_s": 0}).charge(amount, "EUR", "T01-7").status == status


@given(major=st.integers(0, MAX_AMOUNT // 100), cents=st.integers(0, 99))
def test_amount_rule_decides_when_no_outcome_is_forced(major, cents):
    amount = major * 100 + cents or 100
    terminal = payment.create({"timeout_s": 0})
    expected = {1: "declined", 2: "timeout", 3: "error"}.get(amount % 100, "approved")
    assert terminal.charge(amount, "GBP", "T01-7").status == expected


def test_timeout_waits_the_configured_bound_not_the_request_timeout(terminal):
    started = time.monotonic()
    result = terminal.charge(1002, "EUR", "T01-1", timeout_s=60)
    elapsed = time.monotonic() - started
    assert result.status == "timeout"
    assert 0.05 <= elapsed < 0.5
    assert "0.05 s" in result.message


def test_timeout_never_exceeds_the_request_timeout():
    terminal = payment.create({"backend": "simulated"})  # 2 s by default
    started = time.monotonic()
    assert terminal.charge(1002, "EUR", "T01-1", timeout_s=0.02).status == "timeout"
    assert time.monotonic() - started < 0.5


@pytest.mark.parametrize("amount", [0, -100, 12.5, "100", True, None, Decimal(100), MAX_AMOUNT + 1])
def test_charge_refuses_amounts_that_are_not_positive_int_minor_units(terminal, amount):
    with pytest.raises(ValueError, match="amount must be an int of minor units"):
        terminal.charge(amount, "EUR", "T01-1")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda t: t.charge(100, "eur", "T01-1"), "currency must be an ISO 4217 code"),
        (lambda t: t.charge(100, "EURO", "T01-1"), "currency"),
        (lambda t: t.charge(100, "EUR", ""), "reference must be a non-empty string"),
        (lambda t: t.charge(100, "EUR", None), "reference"),
        (lambda t: t.charge(100, "EUR", "T01-1", timeout_s=0), "timeout_s must be a positive"),
        (lambda t: t.refund(100, "EUR", "T01-2", " "), "original_reference must be a non-empty"),
        (lambda t: t.refund(0, "EUR", "T01-2", "T01-1"), "amount"),
    ],
)
def test_bad_requests_are_refused(terminal, call, message):
    with pytest.raises(ValueError, match=message):
        call(terminal)


def test_results_are_frozen(terminal):
    result = terminal.charge(100, "EUR", "T01-1")
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.status = "declined"
    assert isinstance(result, PaymentResult)


# --- nexo backend against a local HTTP server -------------------------------------------


class FakeTerminal(ThreadingHTTPServer):
    """A nexo terminal on 127.0.0.1: ``answer(request_json) -> (http_status, body)``."""

    daemon_threads = True

    def __init__(self, answer):
        super().__init__(("127.0.0.1", 0), NexoHandler)
        self.answer = answer
        self.requests = []

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}/nexo"

    def handle_error(self, request, client_address):
        pass  # the client gave up waiting (timeout test): nothing to report


class NexoHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        message = json.loads(body, parse_float=Decimal)
        self.server.requests.append(message)
        status, reply = self.server.answer(message)
        reply = reply if isinstance(reply, bytes) else json.dumps(reply).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


def nexo_reply(request, result, condition=None, service_id=None):
    header = dict(request["SaleToPOIRequest"]["MessageHeader"], MessageType="Response")
    if service_id:
        header["ServiceID"] = service_id
    response = {"Result": result}
    if condition:
        response["ErrorCondition"] = condition
    card = {"PaymentBrand": "mc", "MaskedPan": "541333 **** 9999"}
    payment_result = {
        "PaymentInstrumentData": {"CardData": card},
        "PaymentAcquirerData": {"ApprovalCode": "123456"},
    }
    body = {"Response": response, "PaymentResult": payment_result}
    return 200, {"SaleToPOIResponse": {"MessageHeader": header, "PaymentResponse": body}}


@pytest.fixture
def serve():
    servers = []

    def start(answer):
        server = FakeTerminal(answer)
        threading.Thread(target=server.serve_forever, args=(0.01,), daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def nexo(url, **options):
    return payment.create({"backend": "nexo", "url": url, "poi_id": "P400-123", **options})


def test_nexo_charge_sends_a_payment_request_and_reads_the_approval(serve):
    server = serve(lambda request: nexo_reply(request, "Success"))
    result = nexo(server.url, sale_id="T01").charge(1234, "EUR", "T01-000042", timeout_s=5)
    message = "Approved mc ending 9999 (auth 123456)"
    assert result == PaymentResult("approved", 1234, "T01-000042", "123456", "mc", "9999", message)
    sent = server.requests[0]["SaleToPOIRequest"]
    header, body = sent["MessageHeader"], sent["PaymentRequest"]
    assert header["MessageCategory"] == "Payment" and header["MessageType"] == "Request"
    assert (header["SaleID"], header["POIID"], len(header["ServiceID"])) == ("T01", "P400-123", 10)
    assert body["SaleData"]["SaleTransactionID"]["TransactionID"] == "T01-000042"
    assert "SaleReferenceID" not in body["SaleData"]
    assert body["PaymentTransaction"]["AmountsReq"] == {
        "Currency": "EUR", "RequestedAmount": Decimal("12.34")
    }
    assert body["PaymentData"] == {"PaymentType": "Normal"}


def test_nexo_refund_is_a_refund_payment_naming_the_sale(serve):
    server = serve(lambda request: nexo_reply(request, "Success"))
    result = nexo(server.url).refund(500, "EUR", "T01-000050", "T01-000042")
    assert result.status == "approved"
    body = server.requests[0]["SaleToPOIRequest"]["PaymentRequest"]
    assert body["PaymentData"] == {"PaymentType": "Refund"}
    assert body["SaleData"]["SaleReferenceID"] == "T01-000042"
    assert body["SaleData"]["SaleTransactionID"]["TransactionID"] == "T01-000050"


@pytest.mark.parametrize(
    ("result", "condition", "status", "message"),
    [
        ("Failure", "Refusal", "declined", "Declined (Refusal)"),
        ("Failure", "Cancel", "declined", "Declined (Cancel)"),
        ("Failure", "Busy", "error", "Card terminal error: Busy"),
        ("Partial", None, "error", "Partly approved: cancel it on the card terminal"),
    ],
)
def test_nexo_failures_map_to_declined_or_error(serve, result, condition, status, message):
    server = serve(lambda request: nexo_reply(request, result, condition))
    answer = nexo(server.url).charge(1000, "EUR", "T01-1")
    assert (answer.status, answer.message, answer.auth_code) == (status, message, None)


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        (lambda request: (500, b"{}"), "answered HTTP 500"),
        (lambda request: (200, b"<html>not nexo</html>"), "answer cannot be read"),
        (lambda request: (200, {"SaleToPOIResponse": {"MessageHeader": {}}}), "cannot be read"),
        (lambda request: nexo_reply(request, "Success", service_id="0000000000"), "another"),
    ],
)
def test_nexo_bad_answers_are_errors(serve, answer, message):
    server = serve(answer)
    result = nexo(server.url).charge(1000, "EUR", "T01-1")
    assert result.status == "error"
    assert message in result.message


def test_nexo_no_answer_within_timeout_is_a_timeout(serve):
    def slow(request):
        time.sleep(1.0)
        return nexo_reply(request, "Success")

    server = serve(slow)
    started = time.monotonic()
    result = nexo(server.url).charge(1000, "EUR", "T01-1", timeout_s=0.2)
    assert time.monotonic() - started < 0.9
    assert result.status == "timeout"
    assert "0.2 s" in result.message


def test_nexo_answer_that_is_not_http_is_an_error():
    with socket.create_server(("127.0.0.1", 0)) as listener:

        def answer_garbage():
            connection, _ = listener.accept()
            with connection:
                connection.recv(65536)
                connection.sendall(b"NAK garbage\r\n\r\n")

        threading.Thread(target=answer_garbage, daemon=True).start()
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/nexo"
        result = nexo(url).charge(1000, "EUR", "T01-1", timeout_s=2)
    assert result.status == "error"
    assert "not HTTP" in result.message


def test_nexo_connection_refused_is_an_error_naming_the_terminal():
    with socket.socket() as probe:  # a free port that nobody listens on
        probe.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{probe.getsockname()[1]}/nexo"
    result = nexo(url).charge(1000, "EUR", "T01-1", timeout_s=2)
    assert result.status == "error"
    assert url in result.message and "connection refused" in result.message


def test_nexo_amounts_without_decimals_are_sent_as_integers(serve):
    server = serve(lambda request: nexo_reply(request, "Success"))
    nexo(server.url, exponent=0).charge(1500, "JPY", "T01-1")
    amounts = server.requests[0]["SaleToPOIRequest"]["PaymentRequest"]["PaymentTransaction"]
    assert amounts["AmountsReq"]["RequestedAmount"] == 1500


@given(amount=st.integers(1, MAX_AMOUNT), exponent=st.integers(0, 4))
def test_nexo_amounts_reach_the_terminal_exactly(amount, exponent):
    sent = json.loads(json.dumps(major_units(amount, exponent)), parse_float=Decimal)
    assert Decimal(sent) == Decimal(amount).scaleb(-exponent)


# --- create() ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"backend": "stripe"}, "unknown backend 'stripe'"),
        ({"backend": "simulated", "delay": 1}, "unknown option 'delay'"),
        ({"backend": "simulated", "timeout_s": -1}, "timeout_s must be a number >= 0"),
        ({"backend": "simulated", "timeout_s": "2"}, "timeout_s"),
        ({"backend": "nexo", "poi_id": "P1"}, "url must be an http"),
        ({"backend": "nexo", "url": "tcp://10.0.0.2", "poi_id": "P1"}, "url must be an http"),
        ({"backend": "nexo", "url": "http://127.0.0.1:9/nexo"}, "poi_id must be a non-empty"),
        ({"backend": "nexo", "url": "http://x/", "poi_id": "P1", "sale_id": ""}, "sale_id"),
        ({"backend": "nexo", "url": "http://x/", "poi_id": "P1", "exponent": 7}, "exponent"),
    ],
)
def test_create_rejects_bad_options_naming_them(options, message):
    with pytest.raises(ValueError, match=message):
        payment.create(options)


def test_create_defaults_to_the_simulated_terminal():
    terminal = payment.create({})
    assert terminal.timeout_s == 2.0
    assert terminal.charge(100, "EUR", "T01-1").approved
