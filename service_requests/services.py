"""Ordering from the catalogue, and what a request and its items do that other tickets do not.

``submit_request`` is the one way an order becomes tickets, for the portal, the API and the desk alike:
every line is checked first (may the person it is for order it, is it active, the quantity, the answers
to its form, the files), then the request (REQ) and one requested item (RITM) per line are created in
one transaction, so a refusal writes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from django.db import transaction

from accounts.models import User
from core.exceptions import NotPermitted, TicketError, ValidationFailed
from service_requests import lifecycle, queries, variables
from service_requests.models import CatalogItem, RequestedItem, ServiceRequest
from service_requests.workflow import CANCELLED
from tickets import attachments as attachment_rules
from tickets import services as ticket_services
from tickets.models import Channel

MAX_QUANTITY = 1000
SYSTEM = ticket_services.SystemActor("service_requests")


@dataclass
class OrderLine:
    """One catalogue item ordered: how many, the answers to its form, and files by variable name."""

    catalog_item: CatalogItem
    quantity: int = 1
    variables: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    _definitions: list | None = field(default=None, repr=False, compare=False)

    def definitions(self) -> list[variables.Variable]:
        """The item's form, read once per line (checking and creating both need it)."""
        if self._definitions is None:
            self._definitions = self.catalog_item.definitions()
        return self._definitions


def resolve_user(ref):
    """A user-picker answer (an id or an email address) as the id of an active user of this tenant."""
    lookup = {"pk": ref} if isinstance(ref, int) else {"email__iexact": ref.strip()}
    found = User.objects.filter(is_active=True, **lookup).values_list("pk", flat=True).first()
    if found is None:
        return None, "No active person of this organisation has this id or email address."
    return found, None


def clean_line(line: OrderLine, *, requested_for) -> dict:
    """The line's cleaned answers; ``ValidationFailed`` with fields ``catalog_item``, ``quantity``,
    ``variables.<name>``."""
    errors: dict[str, list[str]] = {}
    item = line.catalog_item
    if not item.is_active or not item.category.is_active:
        errors["catalog_item"] = [f"{item.name} can no longer be ordered."]
    elif not queries.may_order(requested_for, item):
        errors["catalog_item"] = [f"{requested_for} may not order {item.name}."]
    quantity = line.quantity
    if not isinstance(quantity, int) or isinstance(quantity, bool) or not 1 <= quantity <= MAX_QUANTITY:
        errors["quantity"] = [f"Order between 1 and {MAX_QUANTITY}."]
    cleaned = {}
    try:
        cleaned = variables.validate(line.definitions(), line.variables, files=line.files, resolve_user=resolve_user)
    except ValidationFailed as exc:
        errors.update(exc.fields)
    for name, upload in (line.files or {}).items():
        if name in cleaned:
            try:
                attachment_rules.validate_upload(upload)
            except TicketError as exc:  # AttachmentRejected: the content is not what the name promises
                errors[variables.field_name(name)] = [exc.message]
    if errors:
        raise ValidationFailed(f"{item.name} could not be ordered.", fields=errors)
    return cleaned


def submit_request(*, by, requested_for=None, items: list[OrderLine], channel: str = Channel.PORTAL,
                   title: str = "", description: str = "", assignment_group=None, assignee=None,
                   category=None, impact: int = 3, urgency: int = 3) -> ServiceRequest:
    """Order ``items`` for ``requested_for`` (default: the orderer ``by``) as one request.

    Errors name each line's field as ``items.<index>.<field>`` (``items.0.variables.size``).
    The orderer watches the request and its items, so both people follow them in the portal.
    """
    requested_for = requested_for or by
    if not getattr(requested_for, "is_active", False) or requested_for.pk is None:
        raise ValidationFailed("The request could not be submitted.",
                               fields={"requested_for": ["Order for an active person of this organisation."]})
    if not items:
        raise ValidationFailed("The request could not be submitted.", fields={"items": ["Order at least one item."]})
    errors: dict[str, list[str]] = {}
    cleaned_lines = []
    for index, line in enumerate(items):
        try:
            cleaned_lines.append(clean_line(line, requested_for=requested_for))
        except ValidationFailed as exc:
            errors.update({f"items.{index}.{name}": messages for name, messages in exc.fields.items()})
    if errors:
        raise ValidationFailed("The request could not be submitted.", fields=errors)
    names = [line.catalog_item.name for line in items]
    watchers = [by] if getattr(by, "pk", None) and by.pk != requested_for.pk else []
    # No savepoint of its own (as tickets.services.create_ticket): a failure fails the caller's whole write.
    # The timeline entries of the request and its items go in as one INSERT; nothing here reads their ids.
    with attachment_rules.removed_if_not_committed(), transaction.atomic(savepoint=False), \
            ticket_services.timeline_in_bulk():
        request = ticket_services.create_ticket(
            ServiceRequest, by=by, requester=requested_for, channel=channel,
            title=title or (names[0] if len(names) == 1 else f"{len(names)} items: {', '.join(names)}")[:200],
            fields={"description": description or "", "assignment_group": assignment_group, "assignee": assignee,
                    "category": category, "impact": impact, "urgency": urgency},
            watchers=watchers)
        # The items as created, for the caller's response (no read back).
        # The items are the work: the order's routing is theirs too, and a one-item order's title names it.
        routing = {"assignment_group": assignment_group, "assignee": assignee}
        request.created_items = [
            create_item(request, line, cleaned, by=by, channel=channel, watchers=watchers,
                        title=title if len(items) == 1 else "", **routing)
            for line, cleaned in zip(items, cleaned_lines)]
    return request


def create_item(request: ServiceRequest, line: OrderLine, cleaned: dict, *, by, channel: str, watchers=(),
                title: str = "", assignment_group=None, assignee=None) -> RequestedItem:
    """One requested item of ``request``, from a checked line, with its approval chain or its tasks started
    in the same transaction (service_requests.lifecycle)."""
    item = line.catalog_item
    kinds = {definition.name: definition.type for definition in line.definitions()}
    files = {name: value for name, value in cleaned.items() if kinds.get(name) == variables.ATTACHMENT}
    answers = {name: value for name, value in cleaned.items() if name not in files}
    for name, upload in files.items():
        answers[name] = {"filename": attachment_rules.safe_filename(upload.name), "sha256": _sha256(upload)}
    ritm = ticket_services.create_ticket(
        RequestedItem, by=by, requester=request.requester, channel=channel, title=(title or item.name)[:200],
        state=lifecycle.initial_state(item),
        fields={"request": request, "catalog_item": item, "quantity": line.quantity, "unit_price": item.price,
                "cost_centre": item.cost_centre, "variables": answers, "category": request.category,
                "impact": request.impact, "urgency": request.urgency, "assignment_group": assignment_group,
                "assignee": assignee},
        watchers=watchers)
    for upload in files.values():
        attachment_rules.store(ritm, upload=upload, by=by, is_public=True)
    lifecycle.ordered(ritm, by=by)
    return ritm


def _sha256(upload) -> str:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return digest.hexdigest()


# -- the ticket types' services (tickets.types.TicketType) -------------------------------------------

def create_request(*, by, requester=None, catalog_item=None, quantity=1, variables=None, channel=Channel.PHONE,
                   title="", items=None, **fields) -> ServiceRequest:
    """The desk's and the API's create of a request: one item (``catalog_item``), or ``items`` (order lines)."""
    if requester is not None and requester.pk != getattr(by, "pk", None) and not by.is_agent:
        raise NotPermitted("Only agents raise requests for someone else this way; order from the catalogue.")
    if items is not None:
        return submit_request(by=by, requested_for=requester, items=items, channel=channel, title=title, **fields)
    if catalog_item is None:
        raise ValidationFailed("The request could not be created.",
                               fields={"catalog_item": ["Choose the catalogue item to order."]})
    line = OrderLine(catalog_item=catalog_item, quantity=quantity, variables=variables or {})
    try:
        return submit_request(by=by, requested_for=requester, items=[line], channel=channel, title=title, **fields)
    except ValidationFailed as exc:
        raise _on_the_item(exc, catalog_item) from exc


def _on_the_item(exc: ValidationFailed, item: CatalogItem) -> ValidationFailed:
    """A one-item order's refusal as the desk's create form shows it: the answers' errors on the item."""
    labels = {v.name: v.title for v in item.definitions()}
    fields: dict[str, list[str]] = {}
    for name, messages in exc.fields.items():
        name = name.removeprefix("items.0.")
        if name.startswith("variables."):
            variable = name.removeprefix("variables.")
            fields.setdefault("catalog_item", []).extend(
                f"{labels.get(variable, variable)}: {message}" for message in messages)
        else:
            fields.setdefault(name, []).extend(messages)
    return ValidationFailed(exc.message, fields=fields)


def create_requested_item(*, by, requester=None, catalog_item=None, quantity=1, variables=None,
                          channel=Channel.PHONE, title="", **fields) -> RequestedItem:
    """A requested item raised on its own: a request holding just this item."""
    request = create_request(by=by, requester=requester, catalog_item=catalog_item, quantity=quantity,
                             variables=variables, channel=channel, title=title, **fields)
    return request.created_items[0]


def transition_request(request, action, *, by, fields=None, expected_version=None, comment=""):
    """A request's actions; cancelling it cancels its open items too, with the same reason, all or nothing.

    Lock order is items, then their request, as when an item's closing closes the request
    (service_requests.listeners): the open items are locked before the request is.
    """
    with transaction.atomic():
        open_items = []
        if action == "cancel":
            open_items = list(RequestedItem.objects.select_for_update().filter(
                request_id=request.pk, state__in=RequestedItem.workflow.open_states).order_by("pk"))
        request = ticket_services.transition(request, action, by=by, fields=fields,
                                             expected_version=expected_version, comment=comment)
        if action == "cancel":
            reason = request.cancel_reason or "The request was cancelled."
            for item in open_items:
                ticket_services.transition(item, "cancel", by=by,
                                           fields={"cancel_reason": reason[:300]},
                                           comment=f"Cancelled with request {request.number}.")
    return request


def close_request_if_done(request_id: int) -> ServiceRequest | None:
    """Close the request as the system when none of its items is open (inside the caller's transaction).

    The request's row is locked first, so two items closing at once serialise here and only the second
    sees every item closed: the request closes exactly once.
    """
    request = ServiceRequest.objects.select_for_update().filter(pk=request_id).first()
    if request is None or request.state not in ServiceRequest.workflow.open_states:
        return None
    if request.items.filter(state__in=RequestedItem.workflow.open_states).exists():
        return None
    items = list(request.items.values_list("state", flat=True))
    note = "Every item is closed." if any(s != CANCELLED for s in items) else "Every item was cancelled."
    return ticket_services.transition(request, "close", by=SYSTEM, comment=note)
