"""A catalog snapshot (the till's store-file format) as sections of keyed entries, and the
delta between two snapshots: what the hub sends a till instead of the whole store.

Sections: products by sku, customers and staff by id, promotions by id, tax classes by
name, the pricing settings, the store's settings, and the other top-level settings
(reasons, denominations, quick cash…). A delta names per section the entries to upsert and
the keys to remove, and the new order of a list section when appending would not give it.
Both sides hold snapshots in ``normal`` form, so equal content has one ``digest``.
"""
import hashlib
import json

KEYED = {"products": "sku", "customers": "id", "staff": "id"}
SECTIONS = (*KEYED, "promotions", "tax_classes", "pricing", "store", "settings")
# The sections that are lists in a store file, by their key field: their order is content
# (the other sections' is not).
LISTS = {**KEYED, "promotions": "id"}
DELTA_PARTS = ("upsert", "remove", "order")


class DeltaError(ValueError):
    """A snapshot or delta that cannot be read as sections; the text says where."""


def _object(value, where):
    if not isinstance(value, dict):
        raise DeltaError(f"{where}: expected an object, got {type(value).__name__}")
    return dict(value)


def _keyed(items, field, where):
    if not isinstance(items, list):
        raise DeltaError(f"{where}: expected a list, got {type(items).__name__}")
    entries = {}
    for number, item in enumerate(items, 1):
        key = _object(item, f"{where} {number}").get(field)
        if not isinstance(key, str | int) or isinstance(key, bool):
            raise DeltaError(f"{where} {number}: {field} must be a string or number")
        if str(key) in entries:
            raise DeltaError(f"{where}: duplicate {field} {key}")
        entries[str(key)] = item
    return entries


def sections(snapshot):
    """The snapshot as {section: {key: entry}}; DeltaError if it has no such reading."""
    snapshot = _object(snapshot, "snapshot")
    pricing = _object(snapshot.get("pricing", {}), "pricing")
    parts = {name: _keyed(snapshot.get(name, []), field, name) for name, field in KEYED.items()}
    parts["promotions"] = _keyed(pricing.pop("promotions", []), "id", "promotions")
    parts["tax_classes"] = _object(pricing.pop("tax_classes", {}), "tax_classes")
    parts["pricing"] = pricing
    parts["store"] = _object(snapshot.get("store", {}), "store")
    parts["settings"] = {key: value for key, value in snapshot.items()
                         if key not in (*KEYED, "pricing", "store")}
    return parts


def rebuild(parts):
    """The snapshot of ``sections``' result."""
    return {**parts["settings"], "store": parts["store"],
            "pricing": {**parts["pricing"], "tax_classes": parts["tax_classes"],
                        "promotions": list(parts["promotions"].values())},
            **{name: list(parts[name].values()) for name in KEYED}}


def normal(snapshot):
    """The snapshot with every section present: the form versions are kept and sent in."""
    return rebuild(sections(snapshot))


def canonical(value):
    """One JSON text per content: what digests are taken of and what is sent."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def digest(snapshot):
    return hashlib.sha256(canonical(snapshot).encode()).hexdigest()[:32]


def diff(old, new):
    """The delta that turns snapshot ``old`` into ``new``; {} if they are the same."""
    before, after = sections(old), sections(new)
    delta = {part: {} for part in DELTA_PARTS}
    for name in SECTIONS:
        was, now = before[name], after[name]
        changed = {key: entry for key, entry in now.items()
                   if key not in was or canonical(was[key]) != canonical(entry)}
        removed = [key for key in was if key not in now]
        if changed:
            delta["upsert"][name] = changed
        if removed:
            delta["remove"][name] = removed
        appended = [key for key in was if key in now] + [key for key in now if key not in was]
        if name in LISTS and appended != list(now):
            delta["order"][name] = list(now)
    return {part: value for part, value in delta.items() if value}


def apply(old, delta):
    """Snapshot ``old`` with ``delta`` applied; DeltaError, and nothing changed, if the
    delta is malformed or does not fit ``old`` (removes or reorders what is not there)."""
    parts = sections(old)
    delta = _object(delta, "delta")
    unknown = set(delta) - set(DELTA_PARTS)
    if unknown:
        raise DeltaError(f"delta: unknown part {sorted(unknown)[0]!r}")
    for part in DELTA_PARTS:
        for name in _object(delta.get(part, {}), f"delta.{part}"):
            if name not in SECTIONS:
                raise DeltaError(f"delta.{part}: unknown section {name!r}")
    for name, keys in delta.get("remove", {}).items():
        for key in keys if isinstance(keys, list) else [None]:
            if not isinstance(key, str) or key not in parts[name]:
                raise DeltaError(f"delta.remove.{name}: {key!r} is not in the base version")
            del parts[name][key]
    for name, entries in delta.get("upsert", {}).items():
        entries = _object(entries, f"delta.upsert.{name}")
        field = LISTS.get(name)
        for key, entry in entries.items():
            if field and str(_object(entry, f"delta.upsert.{name}.{key}").get(field)) != key:
                raise DeltaError(f"delta.upsert.{name}.{key}: its {field} is not {key}")
            parts[name][key] = entry
    for name, keys in delta.get("order", {}).items():
        if (name not in LISTS or not isinstance(keys, list)
                or not all(isinstance(key, str) for key in keys)
                or sorted(keys) != sorted(parts[name])):
            raise DeltaError(f"delta.order.{name}: not an order of that section's keys")
        parts[name] = {key: parts[name][key] for key in keys}
    return rebuild(parts)
