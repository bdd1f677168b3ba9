"""Card terminal speaking nexo Retailer (the "Sale to POI" protocol) as JSON over HTTP.

Why nexo: it is the vendor-neutral, published standard for a till (the Sale System) to drive
a payment terminal (the POI), maintained by the nexo standards association and aligned with
ISO 20022; terminals and payment middleware of several makers and acquirers accept its JSON
encoding POSTed over HTTP, which needs only the standard library and is tested here against
a real local HTTP server. This backend is deliberately thin: one PaymentRequest per charge
(PaymentType "Normal") or refund (PaymentType "Refund", the refunded sale as SaleReferenceID)
and its PaymentResponse. Not implemented: Login, the security trailer (encrypted messages)
some providers require, TransactionStatus after a timeout, partial approvals (reported as an
error for the cashier to cancel on the terminal).

Options: ``url`` (required, e.g. "http://192.168.1.40:8080/nexo"), ``poi_id`` (required:
the terminal's id), ``sale_id`` (default "tilly"; the till's id), ``exponent`` (default 2:
the currency's decimals, as nexo amounts are decimal major units).
"""
import http.client
import json
import secrets
import urllib.error
import urllib.request
from datetime import UTC, datetime
from decimal import Decimal

from . import PaymentTerminal, approval_message

# "Failure" conditions that mean the card holder or the issuer said no; the others are
# terminal or host problems.
DECLINES = {"Refusal", "Cancel", "Aborted", "InvalidCard", "WrongPIN", "PaymentRestriction"}


def major_units(amount, exponent):
    """1099 -> 10.99 for JSON. Exact: below 10**15 a double prints back as this decimal."""
    return float(Decimal(amount).scaleb(-exponent)) if exponent else amount


def _last4(masked_pan):
    """"541333 **** 9999" -> "9999"; None when the terminal hides them too."""
    return masked_pan[-4:] if masked_pan[-4:].isdigit() else None


class NexoTerminal(PaymentTerminal):
    def __init__(self, *, url=None, poi_id=None, sale_id="tilly", exponent=2):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise ValueError(f"payment option url must be an http(s):// URL, not {url!r}")
        for name, value in {"poi_id": poi_id, "sale_id": sale_id}.items():
            if not isinstance(value, str) or not value:
                raise ValueError(f"payment option {name} must be a non-empty string: {value!r}")
        if type(exponent) is not int or not 0 <= exponent <= 4:
            raise ValueError(f"payment option exponent must be an int 0-4, not {exponent!r}")
        self.url, self.poi_id, self.sale_id, self.exponent = url, poi_id, sale_id, exponent
        # Straight to the terminal on the shop's network, never through an HTTP proxy.
        self._opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))

    def _process(self, request):
        service_id = secrets.token_hex(5)  # nexo: unique per message pair, 10 characters
        body = json.dumps(self._message(request, service_id)).encode()
        post = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
        try:
            with self._opener.open(post, timeout=request.timeout_s) as answer:
                reply = answer.read()
        except urllib.error.HTTPError as exc:
            exc.close()
            return request.result("error", f"The card terminal answered HTTP {exc.code}")
        except http.client.HTTPException as exc:
            return request.result("error", f"The card terminal's answer is not HTTP ({exc!r})")
        except OSError as exc:  # URLError wraps connection errors in .reason
            reason = getattr(exc, "reason", exc)
            if isinstance(reason, TimeoutError):
                message = f"No answer from the card terminal in {request.timeout_s:g} s"
                return request.result("timeout", f"{message}: check it before charging again")
            if isinstance(reason, ConnectionRefusedError):
                reason = "connection refused"
            return request.result("error", f"Cannot reach the card terminal {self.url}: {reason}")
        return self._read(request, service_id, reply)

    def _message(self, request, service_id):
        stamp = datetime.now(UTC).isoformat(timespec="seconds")
        sale = {"SaleTransactionID": {"TransactionID": request.reference, "TimeStamp": stamp}}
        if request.original_reference:
            sale["SaleReferenceID"] = request.original_reference
        amounts = {
            "Currency": request.currency,
            "RequestedAmount": major_units(request.amount, self.exponent),
        }
        return {"SaleToPOIRequest": {
            "MessageHeader": {
                "ProtocolVersion": "3.0", "MessageClass": "Service", "MessageCategory": "Payment",
                "MessageType": "Request", "ServiceID": service_id,
                "SaleID": self.sale_id, "POIID": self.poi_id,
            },
            "PaymentRequest": {
                "SaleData": sale,
                "PaymentTransaction": {"AmountsReq": amounts},
                "PaymentData": {"PaymentType": "Refund" if request.kind == "refund" else "Normal"},
            },
        }}

    def _read(self, request, service_id, reply):
        try:
            message = json.loads(reply)["SaleToPOIResponse"]
            answered = message["MessageHeader"]["ServiceID"]
            response = message["PaymentResponse"]
            status = response["Response"]
            outcome, condition = status["Result"], status.get("ErrorCondition")
            payment = response.get("PaymentResult", {})
            card_data = payment.get("PaymentInstrumentData", {}).get("CardData", {})
            card = {
                "card_brand": card_data.get("PaymentBrand"),
                "last4": _last4(card_data.get("MaskedPan", "")),
            }
            auth_code = payment.get("PaymentAcquirerData", {}).get("ApprovalCode")
        except (ValueError, KeyError, TypeError, AttributeError):
            return request.result("error", "The card terminal's answer cannot be read")
        if answered != service_id:
            return request.result("error", "The card terminal answered another request")
        if outcome == "Success":
            message = approval_message(card["card_brand"], card["last4"], auth_code)
            return request.result("approved", message, auth_code=auth_code, **card)
        if outcome == "Failure" and condition in DECLINES:
            return request.result("declined", f"Declined ({condition})", **card)
        if outcome == "Partial":
            return request.result("error", "Partly approved: cancel it on the card terminal")
        return request.result("error", f"Card terminal error: {condition or outcome}")

