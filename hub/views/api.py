"""The hub's JSON API for integrations (``/api/v1``, documented in ``docs/api/hub.yaml``).

A call carries ``Authorization: Bearer <token>`` (``hub/api_tokens.py``) and may do what
the token's user's role may: the permissions are the admin app's. Writes go through the
same checks as the admin app's forms and are audited the same way. Money is integers of
minor units; errors are ``{"error": ..., "fields": {field: why}}`` with the HTTP status.
No cookies, so no CSRF token: the blueprint is exempt.
"""
import base64
import functools
import json
from datetime import UTC, datetime

from flask import Blueprint, abort, current_app, g, jsonify, request
from peewee import JOIN, Tuple
from werkzeug.exceptions import HTTPException

from shared.money import format_money
from shared.times import iso
from shared.whole_numbers import whole_number

from .. import api_tokens
from ..accounts import may
from ..catalog_versions import CatalogRefused
from ..fleet import fleet
from ..models import Barcode, Product, Promotion, Sale, SaleCheck, Store
from ..products import save_product, search_products
from ..promotions import FIELDS, SELECTOR, delete, save, status
from ..stores import publish
from . import found

bp = Blueprint("api", __name__, url_prefix="/api/v1")
MAX_PAGE = 500


class Invalid(Exception):
    """A request body with fields at fault: 422 with each field's reason."""

    def __init__(self, fields):
        super().__init__(fields)
        self.fields = fields


@bp.errorhandler(HTTPException)
def http_error(error):
    response = jsonify(error=error.description)
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="tilly-hub"'
    return response, error.code


@bp.errorhandler(Invalid)
def invalid(error):
    return jsonify(error="some fields are not right", fields=error.fields), 422


def allowed(permission):
    """The call needs a valid token whose user's role has ``permission``."""
    def wrap(view):
        @functools.wraps(view)
        def guarded(*args, **kwargs):
            scheme, _, secret = request.headers.get("Authorization", "").partition(" ")
            user = api_tokens.user_of(secret.strip()) if scheme.lower() == "bearer" else None
            if user is None:
                abort(401, "a valid API token is needed: Authorization: Bearer <token>")
            if not may(user, permission):
                abort(403, f"the token's role ({user.role}) may not do this ({permission})")
            g.api_user = user
            return view(*args, **kwargs)
        return guarded
    return wrap


def body():
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "the body must be a JSON object (Content-Type: application/json)")
    return data


def limit():
    text = request.args.get("limit", "100")
    number = whole_number(text, MAX_PAGE, least=1)
    if number is None:
        abort(400, f"limit: 1 to {MAX_PAGE}")
    return number


def _moment(name):
    text = request.args.get(name)
    if text is None:
        return None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        abort(400, f"{name}: an ISO 8601 time, e.g. 2026-12-03T00:00:00+00:00")
    if moment.tzinfo is not None:  # the tills write UTC: compared as the same text
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return iso(moment)


# -- products ------------------------------------------------------------------------------

def product_json(product, codes=None):
    return {"sku": product.sku, "name": product.name, "category": product.category,
            "tags": product.tags, "tax_class": product.tax_class, "sold_by": product.sold_by,
            "unit_price": product.unit_price, "member_price": product.member_price,
            "barcodes": sorted(codes if codes is not None
                               else (code.code for code in product.barcodes)),
            "rcn_item": product.rcn_item, "active": product.active,
            "updated_at": product.updated_at.isoformat()}


@bp.get("/products")
@allowed("catalog.view")
def products():
    """Products by SKU, a page at a time (``after`` the last SKU), or found by ``q``."""
    count = limit()
    if request.args.get("q"):
        found = search_products(request.args["q"], count)
    else:
        found = list(Product.select().where(Product.sku > request.args.get("after", ""))
                     .order_by(Product.sku).limit(count))
    codes = {}
    for product_id, code in Barcode.select(Barcode.product, Barcode.code).where(
            Barcode.product.in_([product.id for product in found])).tuples():
        codes.setdefault(product_id, []).append(code)
    page = [product_json(product, codes.get(product.id, [])) for product in found]
    more = not request.args.get("q") and len(found) == count
    return jsonify(products=page, next=found[-1].sku if more else None)


@bp.get("/products/<sku>")
@allowed("catalog.view")
def product(sku):
    return jsonify(product_json(found(Product, Product.sku, sku, "product has the SKU")))


def _text(data, name, errors, kind, money=False, optional=True):
    """A typed JSON field as the form's text (the admin app's checks then apply)."""
    value = data.get(name)
    if value is None:
        return ""
    if money or kind is int:
        if type(value) is not int:
            errors[name] = "an integer" + (" of minor units" if money else "")
            return ""
        return format_money(value) if money else str(value)
    if kind is list:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            errors[name] = "a list of strings"
            return ""
        return "|".join(value)
    if not isinstance(value, kind):
        errors[name] = f"a {'string' if kind is str else 'boolean'}"
        return ""
    return value


@bp.put("/products/<sku>")
@allowed("catalog.edit")
def put_product(sku):
    """Create or replace a product (the fields not given are emptied)."""
    data, errors = body(), {}
    values = {"sku": sku, "name": _text(data, "name", errors, str),
              "category": _text(data, "category", errors, str),
              "tags": _text(data, "tags", errors, list),
              "tax_class": _text(data, "tax_class", errors, str),
              "sold_by": _text(data, "sold_by", errors, str) or "unit",
              "unit_price": _text(data, "unit_price", errors, int, money=True),
              "member_price": _text(data, "member_price", errors, int, money=True),
              "barcodes": _text(data, "barcodes", errors, list),
              "rcn_item": _text(data, "rcn_item", errors, str)}
    if errors:
        raise Invalid(errors)
    created = not Product.select().where(Product.sku == sku).exists()
    saved, errors = save_product(g.api_user, values)
    if errors:
        raise Invalid(errors)
    return jsonify(product_json(saved)), 201 if created else 200


# -- stores and publishing ---------------------------------------------------------------

@bp.get("/stores")
@allowed("catalog.view")
def stores():
    return jsonify(stores=[{"code": store.code, "name": store.name, **store.details,
                            "pricing": store.pricing}
                           for store in Store.select().order_by(Store.code)])


@bp.post("/stores/<code>/publish")
@allowed("catalog.publish")
def publish_store(code):
    """The store's catalog as its next version for the tills (``version`` null: unchanged)."""
    store = found(Store, Store.code, code, "store has the code")
    try:
        version = publish(current_app.extensions["hub_db"], store, g.api_user)
    except CatalogRefused as exc:
        abort(409, f"the tills could not load this catalog: {exc}")
    return jsonify(store=code, version=version)


# -- promotions ----------------------------------------------------------------------------

def promotion_json(promotion):
    return {"code": promotion.code, "name": promotion.name, "type": promotion.type,
            **promotion.rule, "stores": promotion.stores,
            "starts_at": promotion.starts_at and promotion.starts_at.isoformat(),
            "ends_at": promotion.ends_at and promotion.ends_at.isoformat(),
            "status": status(promotion)}


@bp.get("/promotions")
@allowed("catalog.view")
def promotions():
    return jsonify(promotions=[promotion_json(promotion) for promotion in
                               Promotion.select().order_by(Promotion.code)])


@bp.put("/promotions/<code>")
@allowed("promotions.edit")
def put_promotion(code):
    """Create or replace a promotion: the contract's fields of its type, with ``stores``
    (none: every store), ``starts_at`` and ``ends_at`` (ISO 8601, UTC)."""
    data, errors = body(), {}
    kind = data.get("type")
    values = {"code": code, "name": _text(data, "name", errors, str),
              "type": kind if isinstance(kind, str) else "",
              "stores": _text(data, "stores", errors, list),
              "starts_at": _text(data, "starts_at", errors, str),
              "ends_at": _text(data, "ends_at", errors, str),
              "coupon": _text(data, "coupon", errors, str),
              "member_only": "on" if _text(data, "member_only", errors, bool) else ""}
    for field, field_kind in (*SELECTOR, *FIELDS.get(kind, ())):
        values[field] = _text(data, field, errors, {"list": list, "count": int,
                                                    "percent": str}.get(field_kind, int),
                              money=field_kind == "money")
    if errors:
        raise Invalid(errors)
    existing = Promotion.get_or_none(Promotion.code == code)
    saved, errors = save(g.api_user, values, existing)
    if errors:
        raise Invalid(errors)
    return jsonify(promotion_json(saved)), 200 if existing else 201


@bp.delete("/promotions/<code>")
@allowed("promotions.edit")
def delete_promotion(code):
    try:
        delete(g.api_user, found(Promotion, Promotion.code, code, "promotion has the code"))
    except ValueError as exc:
        abort(409, str(exc))
    return "", 204


# -- sales and the fleet ---------------------------------------------------------------------

@bp.get("/sales")
@allowed("sales.view")
def sales():
    """Sales and refunds as the tills sent them, by completion time then UUID: ``from`` and
    ``to`` (completed in [from, to)), ``store``, ``till``; ``after`` continues a page."""
    query = Sale.select(Sale, SaleCheck.status).join(
        SaleCheck, on=(SaleCheck.sale == Sale.uuid), join_type=JOIN.LEFT_OUTER)
    for name, field in (("store", Sale.store), ("till", Sale.till)):
        if request.args.get(name):
            query = query.where(field == request.args[name])
    start, end = _moment("from"), _moment("to")
    if start:
        query = query.where(Sale.completed_at >= start)
    if end:
        query = query.where(Sale.completed_at < end)
    if request.args.get("after"):
        try:
            completed, uuid = json.loads(base64.urlsafe_b64decode(request.args["after"]))
        except (ValueError, TypeError):
            abort(400, "after: the next cursor of a page, as it was given")
        query = query.where(Tuple(Sale.completed_at, Sale.uuid) > Tuple(completed, uuid))
    count = limit()
    found = list(query.order_by(Sale.completed_at, Sale.uuid).limit(count).objects())
    page = [{**sale.body, "store": sale.store, "check": sale.status,
             "received_at": sale.received_at.isoformat()} for sale in found]
    last = found[-1] if len(found) == count else None
    cursor = last and base64.urlsafe_b64encode(
        json.dumps([last.completed_at, last.uuid]).encode()).decode()
    return jsonify(sales=page, next=cursor)


@bp.get("/fleet")
@allowed("fleet.view")
def fleet_status():
    return jsonify(tills=fleet())
