"""The customers' pages: find a customer; their profile (contact details, consent, card),
purchase history, points, what to recommend to them, interactions and tickets; duplicates
and merging; GDPR export and erasure. A form with a mistake writes nothing and says what
is wrong by its field."""
import json

from flask import Blueprint, Response, abort, redirect, render_template, request, url_for
from flask_wtf import FlaskForm

from shared.times import now

from .. import customers, recommendations
from ..accounts import may
from ..customers import CustomerError
from ..models import Customer, Ticket
from . import checked_form, current_user, requires

bp = Blueprint("customers", __name__)
HISTORY_PAGE = 50  # purchases a page
MAX_PAGE = 10**6  # past it, an offset the databases could not take: no purchases either


def _render(template, status=200, **context):
    return render_template(f"customers/{template}", form=FlaskForm(),
                           duration=customers.duration, **context), status


def _allowed(permission):
    if not may(current_user(), permission):
        abort(403, f"Your role may not do this ({permission}).")
    checked_form()


def _customer(code):
    """The customer with this id; one merged away redirects to its survivor."""
    customer, merged = customers.find(code)
    if customer is None:
        abort(404, f"No customer has the id {code}.")
    return customer, merged


@bp.get("/customers")
@requires("customers.view")
def customers_page():
    query = request.args.get("q", "")
    found = customers.search(query)
    template = "rows.html" if request.headers.get("HX-Request") else "list.html"
    return _render(template, found=found, query=query)


@bp.route("/customers/new", methods=["GET", "POST"])
@requires("customers.edit")
def new():
    values, errors = customers.values_of(None), {}
    if request.method == "POST":
        checked_form()
        values = dict(request.form)
        saved, errors = customers.save_customer(current_user(), request.form)
        if saved:
            return redirect(url_for("customers.customer", code=saved.code))
    return _render("new.html", 400 if errors else 200, values=values, errors=errors)


@bp.route("/customers/<code>", methods=["GET", "POST"])
@requires("customers.view")
def customer(code):
    item, merged = _customer(code)
    if merged:
        return redirect(url_for("customers.customer", code=item.code, merged=code))
    values, errors = customers.values_of(item), {}
    if request.method == "POST":
        _allowed("customers.edit")
        values = dict(request.form)
        saved, errors = customers.save_customer(current_user(), request.form, item)
        if saved:
            return redirect(url_for("customers.customer", code=code, done="Saved"))
    return _customer_page(item, values, errors)


def _customer_page(item, values=None, errors=None, note_errors=None, ticket_errors=None,
                   note_values=None, ticket_values=None):
    item = Customer.get_by_id(item.id)
    tickets = list(item.tickets.order_by(Ticket.id.desc()))
    bad = errors or note_errors or ticket_errors
    page = min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)
    sales = customers.history(item, HISTORY_PAGE + 1, (page - 1) * HISTORY_PAGE)
    return _render(
        "customer.html", 400 if bad else 200, item=item,
        values=values or customers.values_of(item), errors=errors or {},
        note_errors=note_errors or {}, ticket_errors=ticket_errors or {},
        note_values=note_values or {}, ticket_values=ticket_values or {},
        stats=customers.statistics(item), sales=sales[:HISTORY_PAGE], page=page,
        recommended=recommendations.for_customer(item),
        more=len(sales) > HISTORY_PAGE,
        consents=list(item.consent_changes.order_by(item.consent_changes.model.at.desc())),
        points=customers.points_history(item, 50),
        interactions=list(item.interactions.order_by(item.interactions.model.at.desc())),
        tickets=tickets, averages=customers.average_times(tickets),
        aliases=list(item.aliases), editable=may(current_user(), "customers.edit")
        and item.erased_at is None, done=request.args.get("done"),
        merged=request.args.get("merged"))


def _add(code, write, errors_name, values_name, done):
    """A form on the customer's page that adds to it: ``write(user, customer, form)`` gives
    (row, errors); with errors, the page again with them beside the form's fields."""
    item, _ = _customer(code)
    checked_form()
    try:
        row, errors = write(current_user(), item, request.form)
    except CustomerError as exc:
        abort(409, str(exc))
    if errors:
        return _customer_page(item, **{errors_name: errors, values_name: dict(request.form)})
    return redirect(done(item, row))


@bp.post("/customers/<code>/interactions")
@requires("customers.edit")
def interaction(code):
    return _add(code, customers.add_interaction, "note_errors", "note_values",
                lambda item, row: url_for("customers.customer", code=item.code)
                + "#interactions")


@bp.post("/customers/<code>/tickets")
@requires("customers.edit")
def open_ticket(code):
    return _add(code, customers.open_ticket, "ticket_errors", "ticket_values",
                lambda item, row: url_for("customers.ticket", code=item.code, number=row.id))


@bp.route("/customers/<code>/tickets/<int:number>", methods=["GET", "POST"])
@requires("customers.view")
def ticket(code, number):
    item, _ = _customer(code)
    found = Ticket.get_or_none((Ticket.id == number) & (Ticket.customer == item))
    if found is None:
        abort(404, f"{item.code} has no ticket {number}.")
    errors, values = {}, {}
    if request.method == "POST":
        _allowed("customers.edit")
        try:
            errors = customers.update_ticket(current_user(), found, request.form)
        except CustomerError as exc:
            abort(409, str(exc))
        if not errors:
            return redirect(url_for("customers.ticket", code=item.code, number=number))
        values = dict(request.form)
    found = Ticket.get_by_id(found.id)
    return _render("ticket.html", 400 if errors else 200, item=item, ticket=found,
                   entries=list(found.entries.order_by(found.entries.model.id)),
                   times=customers.response_times(found), errors=errors, values=values,
                   statuses=Ticket.STATUSES,
                   editable=may(current_user(), "customers.edit") and item.erased_at is None)


@bp.get("/customers/tickets")
@requires("customers.view")
def tickets():
    waiting, recent = customers.ticket_queue()
    return _render("tickets.html", tickets=waiting, averages=customers.average_times(recent),
                   times=customers.response_times, now=now())


@bp.post("/customers/<code>/export")
@requires("customers.export")
def export(code):
    item, _ = _customer(code)
    checked_form()
    data = customers.export(current_user(), item)
    return Response(json.dumps(data, indent=2, ensure_ascii=False, default=str),
                    mimetype="application/json", headers={
                        "Content-Disposition": f"attachment; filename=customer-{item.code}.json"})


@bp.route("/customers/<code>/erase", methods=["GET", "POST"])
@requires("customers.erase")
def erase(code):
    item, _ = _customer(code)
    error = None
    if request.method == "POST":
        checked_form()
        if request.form.get("confirm", "").strip().upper() != item.code:
            error = f"Type the customer's id, {item.code}, to confirm the erasure."
        else:
            try:
                customers.erase(current_user(), item)
            except CustomerError as exc:
                error = str(exc)
            else:
                return redirect(url_for("customers.customer", code=item.code,
                                        done="Erased: the personal data is gone, the sales "
                                             "figures stay"))
    return _render("erase.html", 400 if error else 200, item=item, error=error,
                   stats=customers.statistics(item))


@bp.get("/customers/duplicates")
@requires("customers.view")
def duplicates():
    return _render("duplicates.html", pairs=customers.duplicate_suggestions(),
                   done=request.args.get("done"))


def _pair(*names):
    """The two customers the request names by their ids, or a 404."""
    pair = [Customer.get_or_none(Customer.code == request.values.get(name, ""))
            for name in names]
    if None in pair:
        abort(404, "Choose two customers who are still on file.")
    return pair


@bp.post("/customers/duplicates/dismiss")
@requires("customers.edit")
def not_duplicates():
    first, second = _pair("first", "second")
    checked_form()
    try:
        customers.not_duplicates(current_user(), first, second)
    except CustomerError as exc:
        abort(400, str(exc))
    return redirect(url_for("customers.duplicates",
                            done=f"{first.code} and {second.code}: not suggested again"))


@bp.route("/customers/merge", methods=["GET", "POST"])
@requires("customers.merge")
def merge():
    keep, other = _pair("keep", "other")
    error = None
    if request.method == "POST":
        checked_form()
        try:
            customers.merge(current_user(), keep, other)
        except CustomerError as exc:
            error = str(exc)
        else:
            return redirect(url_for("customers.customer", code=keep.code,
                                    done=f"{other.code} merged into {keep.code}"))
    return _render("merge.html", 400 if error else 200, keep=keep, other=other, error=error,
                   sides=[(keep, customers.statistics(keep)),
                          (other, customers.statistics(other))])
