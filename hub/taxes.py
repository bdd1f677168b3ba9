"""Tax classes and their rates, as the pricing contract has them: a product belongs to a
class, and a class charges each of its rates (none for an exempt class). Rates are checked
by the pricing engine itself, so the tills are never sent one it would refuse; a class in
use by products is not deleted. A change makes every store's catalog unpublished until it
is published again."""
import re

from shared import pricing
from shared.times import now

from .accounts import audit
from .models import Product, Store, TaxClass, TaxRate

_CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,31}")
_RATE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}")
MAX_RATES = 100  # the engine's limit for one class


class TaxError(ValueError):
    """A change that cannot be made; ``fields`` says which field and why."""

    def __init__(self, fields):
        super().__init__("; ".join(f"{name}: {why}" for name, why in fields.items()))
        self.fields = fields


def _changed(by, action, target, detail):
    Store.update(updated_at=now()).execute()
    audit(by, action, target, detail)


def add_class(by, code, name):
    code, name, errors = (code or "").strip(), (name or "").strip(), {}
    if not _CODE.fullmatch(code):
        errors["code"] = "1-32 characters a-z 0-9 _ -, e.g. reduced"
    elif TaxClass.select().where(TaxClass.code == code).exists():
        errors["code"] = f"{code} is taken by another tax class"
    if not 1 <= len(name) <= 100:
        errors["name"] = "1-100 characters"
    if errors:
        raise TaxError(errors)
    with TaxClass._meta.database.atomic():
        tax = TaxClass.create(code=code, name=name)
        _changed(by, "tax_class.create", code, {"name": name})
    return tax


def add_rate(by, tax, code, rate, name):
    code, rate, name, errors = ((code or "").strip(), (rate or "").strip(),
                                (name or "").strip(), {})
    if not _RATE_ID.fullmatch(code):
        errors["rate_code"] = "1-32 characters A-Z a-z 0-9 _ -, e.g. vat7"
    elif TaxRate.select().where((TaxRate.tax_class == tax) & (TaxRate.code == code)).exists():
        errors["rate_code"] = f"{tax.code} has a rate {code} already"
    if TaxRate.select().where(TaxRate.tax_class == tax).count() >= MAX_RATES:
        errors["rate_code"] = f"a class has at most {MAX_RATES} rates"
    try:
        pricing.Engine({"tax_mode": "inclusive", "tax_rounding": "total",
                        "tax_classes": {"x": [{"id": code or "x", "rate": rate}]}})
    except pricing.PricingError as exc:
        errors["rate"] = str(exc).split(": ", 1)[-1]
    if not 1 <= len(name) <= 100:
        errors["rate_name"] = "1-100 characters, as receipts show it, e.g. VAT 7%"
    if errors:
        raise TaxError(errors)
    with TaxClass._meta.database.atomic():
        added = TaxRate.create(tax_class=tax, code=code, rate=rate, name=name)
        _changed(by, "tax_rate.create", f"{tax.code}/{code}", {"rate": rate, "name": name})
    return added


def remove_rate(by, rate):
    with TaxClass._meta.database.atomic():
        rate.delete_instance()
        _changed(by, "tax_rate.delete", f"{rate.tax_class.code}/{rate.code}",
                 {"rate": rate.rate})


def delete_class(by, tax):
    used = Product.select().where(Product.tax_class == tax.code).count()
    if used:
        raise TaxError({"code": f"{used} products are in {tax.code}: move them first"})
    with TaxClass._meta.database.atomic():
        tax.delete_instance(recursive=True)
        _changed(by, "tax_class.delete", tax.code, {})
