"""Tenant isolation for every API operation that names an object, generated from the OpenAPI schema.

For each operation with a path parameter, an object is made in alpha and the operation is called with
beta's credentials, on beta's host and on alpha's. Beta must get 401/403/404, never a byte of alpha's
object (each object carries a unique marker), and alpha's data must be exactly as before. A control
request with alpha's own admin then proves the same request would have worked, so a refusal is
isolation and not a malformed request.

Ids and numbers are per schema, so they collide across tenants. Every sequence in alpha is first moved
past beta's, so "not found in beta" is a real 404; the colliding run then gives beta a twin with the
same ids and checks that beta is served its own twin, never alpha's object.

A new operation with a path parameter fails ``test_every_operation_with_a_path_parameter_has_a_case``
until CASES says how to make its object, so coverage cannot silently shrink.
"""

import uuid
from dataclasses import dataclass
from typing import Callable

import pytest
from django.db import connection
from django_tenants.utils import schema_context
from drf_spectacular.generators import SchemaGenerator

from accounts.models import ApiToken, User
from approvals import services as approval_services
from approvals.models import (Approval, ApprovalChainDefinition, ApprovalDecision, ApprovalRequest, ApprovalStage,
                              StageDefinition)
from accounts.services import create_api_token
from assets.models import Entitlement, SoftwareProduct
from assets import ci_sync as asset_ci_sync
from assets import contracts as asset_contracts
from assets import services as asset_services
from assets.models import Asset, AssetHistory, Contract
from cmdb import affected as cmdb_affected
from cmdb import services as cmdb_services
from cmdb.models import (CI, AffectedCI, AttributeDefinition, CIClass, CIHistory, ImportJob, ImportRejection, Relationship,
                         RelationshipType)
from fulfilment import services as fulfilment_services
from fulfilment.models import Task
from incidents import services as incident_services
from incidents.models import Incident
from problems import services as problem_services
from problems.models import Problem
from service_requests import services as request_services
from service_requests.models import CatalogItem, RequestedItem, ServiceRequest
from sla.due.models import DueClock
from sla.models import Calendar, Clock, EscalationRule, Holiday, Metric, Policy, Target, WorkingHours
from tests import files
from tests.api.helpers import api_client, back_to
from tests.factories import AdminFactory, make_incident
from tests.guards import stand_in
from tickets.links.services import link_tickets
from tickets.models import Attachment, TicketLink, TimelineEntry
from tickets.services import add_attachment, add_comment
from tickets.write_guard import direct_writes

REFUSED = {401, 403, 404}


def _operations() -> dict[str, tuple[str, str]]:
    """operationId -> (method, path) for every operation whose path has a parameter."""
    schema = SchemaGenerator(urlconf="itsm.urls_tenant").get_schema(request=None, public=True)
    return {operation["operationId"]: (method.upper(), path)
            for path, methods in schema["paths"].items() if "{" in path
            for method, operation in methods.items()}


OPERATIONS = _operations()


# -- objects, made in whichever schema is current, marked so any leak of them is visible -----------

def _incident(owner, marker, state="new"):
    incident = make_incident(by=owner, title=f"{marker} title", description=f"{marker} description")
    incident_services.add_reply(incident, by=owner, body=f"{marker} reply")
    add_attachment(incident, by=owner, upload=files.upload(f"{marker}.txt", f"{marker} file".encode()),
                   is_public=True)
    if state in ("resolved", "on_hold"):
        fields = ({"resolution_code": "solved_remotely", "resolution_notes": f"{marker} notes"}
                  if state == "resolved" else {"hold_reason": "awaiting_caller"})
        incident_services.transition_incident(incident, "resolve" if state == "resolved" else "hold", by=owner,
                                              fields=fields)
    return incident


def incident(owner, marker):
    return {"number": _incident(owner, marker).number}


def resolved_incident(owner, marker):
    return {"number": _incident(owner, marker, "resolved").number}


def held_incident(owner, marker):
    return {"number": _incident(owner, marker, "on_hold").number}


def attachment(owner, marker):
    ticket = _incident(owner, marker)
    stored = Attachment.objects.filter(ticket_id=ticket.pk).get()
    return {"number": ticket.number, "attachment_id": stored.pk}


def _linked(owner, marker):
    ticket = _incident(owner, marker)
    other = make_incident(by=owner, title=f"{marker} linked title")
    return ticket, other, link_tickets(ticket, other, "causes", by=owner)


def linked_incident(owner, marker):
    return {"number": _linked(owner, marker)[0].number}


def link(owner, marker):
    ticket, _, made = _linked(owner, marker)
    return {"number": ticket.number, "link_id": made.pk}


def incident_and_link_target(owner, marker):
    """The incident in the path, and in the body another one to link it to."""
    ticket, other, _ = _linked(owner, marker)
    return {"number": ticket.number, "target": make_incident(by=owner, title=f"{marker} target").number}


def _problem(owner, marker, state="new", *, known_error=False):
    problem = problem_services.create_problem(by=owner, title=f"{marker} title", description=f"{marker} description",
                                              workaround=f"{marker} workaround")
    add_comment(problem, by=owner, body=f"{marker} reply", is_public=True)
    add_attachment(problem, by=owner, upload=files.upload(f"{marker}.txt", f"{marker} file".encode()), is_public=True)
    steps = {"assess": [("assess", {})], "root_cause_analysis": [("analyse", {})],
             "fix_in_progress": [("analyse", {}), ("start_fix", {"root_cause": f"{marker} cause"})],
             "resolved": [("analyse", {}), ("start_fix", {"root_cause": f"{marker} cause"}),
                          ("resolve", {"resolution_code": "fixed", "resolution_notes": f"{marker} notes"})]}
    for action, fields in steps.get(state, []):
        problem = problem_services.transition_problem(problem, action, by=owner, fields=fields)
    if known_error:
        problem = problem_services.publish_known_error(problem, by=owner)
    return problem


def problem_in(state, **kwargs):
    return lambda owner, marker: {"number": _problem(owner, marker, state, **kwargs).number}


def problem_attachment(owner, marker):
    problem = _problem(owner, marker)
    return {"number": problem.number, "attachment_id": Attachment.objects.filter(
        ticket_type="problems.problem", ticket_id=problem.pk).get().pk}


def problem_link(owner, marker):
    problem = _problem(owner, marker)
    made = link_tickets(problem, make_incident(by=owner, title=f"{marker} linked"), "problem_of", by=owner)
    return {"number": problem.number, "link_id": made.pk}


def problem_and_link_target(owner, marker):
    return {"number": _problem(owner, marker).number,
            "target": make_incident(by=owner, title=f"{marker} target").number}


def _task(owner, marker, state="open"):
    parent = make_incident(by=owner, title=f"{marker} parent")
    task = fulfilment_services.create_task(parent, by=owner, title=f"{marker} title", description=f"{marker} description")
    add_comment(task, by=owner, body=f"{marker} reply", is_public=True)
    add_attachment(task, by=owner, upload=files.upload(f"{marker}.txt", f"{marker} file".encode()), is_public=True)
    if state == "on_hold":
        task = fulfilment_services.transition_task(task, "hold", by=owner, fields={"hold_reason": f"{marker} hold"})
    return task


def task_in(state):
    return lambda owner, marker: {"number": _task(owner, marker, state).number}


def task_attachment(owner, marker):
    task = _task(owner, marker)
    return {"number": task.number, "attachment_id": Attachment.objects.filter(
        ticket_type="fulfilment.task", ticket_id=task.pk).get().pk}


def task_link(owner, marker):
    task = _task(owner, marker)
    made = link_tickets(task, make_incident(by=owner, title=f"{marker} linked"), "related", by=owner)
    return {"number": task.number, "link_id": made.pk}


def task_and_link_target(owner, marker):
    return {"number": _task(owner, marker).number, "target": make_incident(by=owner, title=f"{marker} target").number}


def _calendar(marker):
    calendar = Calendar.objects.create(name=f"{marker} calendar", time_zone="Europe/Berlin")
    WorkingHours.objects.bulk_create([WorkingHours(calendar=calendar, weekday=day, start_minute=540, end_minute=1020)
                                      for day in range(5)])
    Holiday.objects.create(calendar=calendar, date="2026-12-24", name=f"{marker} holiday")
    return calendar


def calendar(owner, marker):
    return {"id": _calendar(marker).pk}


def _policy(marker):
    policy = Policy.objects.create(name=f"{marker} policy", order=1, description=f"{marker} description")
    calendar = _calendar(marker)
    Target.objects.bulk_create([Target(policy=policy, metric=metric, priority=priority, duration_seconds=3600,
                                       calendar=calendar)
                                for metric in (Metric.RESOLUTION, Metric.RESPONSE) for priority in range(1, 6)])
    return policy


def policy(owner, marker):
    return {"id": _policy(marker).pk}


def clock(owner, marker):
    _policy(marker)
    ticket = make_incident(by=owner, title=f"{marker} title")
    return {"id": Clock.objects.filter(ticket_id=ticket.pk).order_by("pk").first().pk}


def token(owner, marker):
    created, _ = create_api_token(user=owner, name=f"{marker} token")
    return {"id": created.pk}


def _catalog_item(marker):
    from tests.service_requests.factories import CatalogCategoryFactory

    return CatalogItem.objects.create(category=CatalogCategoryFactory(name=f"{marker} category"),
                                      name=f"{marker} item", short_description=f"{marker} description")


def catalog_item(owner, marker):
    return {"id": _catalog_item(marker).pk}


def _order(owner, marker, *, item_state=None):
    """A request with one item, each with a reply and an attachment; the item moved to ``item_state``."""
    made = request_services.submit_request(
        by=owner, title=f"{marker} title", description=f"{marker} description", channel="phone",
        items=[request_services.OrderLine(catalog_item=_catalog_item(marker))])
    item = made.created_items[0]
    for ticket in (made, item):
        add_comment(ticket, by=owner, body=f"{marker} reply", is_public=True)
        add_attachment(ticket, by=owner, upload=files.upload(f"{marker}.txt", f"{marker} file".encode()),
                       is_public=True)
    if item_state:
        with direct_writes("test set-up: an item moved by the approval engine or an import"):
            RequestedItem.objects.filter(pk=item.pk).update(state=item_state)
    return made, item


def request_in(item_state=None):
    return lambda owner, marker: {"number": _order(owner, marker, item_state=item_state)[0].number}


def requested_item_in(item_state=None):
    return lambda owner, marker: {"number": _order(owner, marker, item_state=item_state)[1].number}


def _order_attachment(index):
    def make(owner, marker):
        ticket = _order(owner, marker)[index]
        return {"number": ticket.number, "attachment_id": Attachment.objects.filter(
            ticket_type=ticket._meta.label_lower, ticket_id=ticket.pk).get().pk}
    return make


def _order_link(index):
    def make(owner, marker):
        ticket = _order(owner, marker)[index]
        made = link_tickets(ticket, make_incident(by=owner, title=f"{marker} linked"), "related", by=owner)
        return {"number": ticket.number, "link_id": made.pk}
    return make


def _order_and_link_target(index):
    return lambda owner, marker: {"number": _order(owner, marker)[index].number,
                                  "target": make_incident(by=owner, title=f"{marker} target").number}


def approval_chain(owner, marker):
    chain = ApprovalChainDefinition.objects.create(name=f"{marker} chain", description=f"{marker} description")
    StageDefinition.objects.create(chain=chain, order=1, name=f"{marker} stage", kind="user", user=owner)
    return {"id": chain.pk}


def approval_request(owner, marker):
    chain = ApprovalChainDefinition.objects.get(pk=approval_chain(owner, marker)["id"])
    approval = approval_services.start_approval(make_incident(by=owner, title=f"{marker} title"), chain, by=owner)
    return {"id": ApprovalRequest.objects.get(stage__approval=approval).pk}


def software_product(owner, marker):
    return {"id": SoftwareProduct.objects.create(vendor=f"{marker} vendor", name=f"{marker} product").pk}


def entitlement(owner, marker):
    product = SoftwareProduct.objects.create(vendor=f"{marker} vendor", name=f"{marker} product")
    return {"id": Entitlement.objects.create(product=product, metric="per_user", quantity=5, unit_cost="10.00",
                                             reference=f"{marker} order").pk}


def entitlement_body(params):
    product_id = Entitlement.objects.filter(pk=params["id"]).values_list("product_id", flat=True).first()
    return {"product": product_id, "metric": "per_device", "quantity": 1, "reference": "Replaced by the caller"}


def _asset(owner, marker):
    return asset_services.create_asset(by=owner, name=f"{marker} asset", notes=f"{marker} notes")


def asset(owner, marker):
    return {"id": _asset(owner, marker).pk}


def linked_asset(owner, marker):
    return {"id": asset_ci_sync.create_ci_for(_asset(owner, marker), by=owner).pk}


def asset_contract(owner, marker):
    import datetime

    contract = asset_contracts.create_contract(
        by=owner, kind="support", number=f"{marker}"[:60], vendor="Vendor", notes=f"{marker} notes",
        starts_on=datetime.date(2025, 1, 1), ends_on=datetime.date(2027, 1, 1), assets=[_asset(owner, marker)])
    return {"id": contract.pk}


def cmdb_class(owner, marker):
    made = CIClass.objects.create(key=marker, name=f"{marker} class", parent=CIClass.objects.get(key="hardware"))
    AttributeDefinition.objects.create(ci_class=made, name="rack", label=f"{marker} rack", type="string")
    return {"id": made.pk}


def relationship_type(owner, marker):
    return {"id": RelationshipType.objects.create(key=marker, name=f"{marker} type", reverse_name="of").pk}


def _ci(owner, marker, name="ci"):
    made = cmdb_services.create_ci(by=owner, name=f"{marker} {name}", ci_class=CIClass.objects.get(key="linux_server"))
    return cmdb_services.update_ci(made, by=owner, description=f"{marker} description")[0]


def ci(owner, marker):
    server = _ci(owner, marker)
    cmdb_services.add_relationship(by=owner, type=RelationshipType.objects.get(key="runs_on"),
                                   source=_ci(owner, marker, "app"), target=server)
    return {"id": server.pk}


def relationship(owner, marker):
    made = cmdb_services.add_relationship(by=owner, type=RelationshipType.objects.get(key="depends_on"),
                                          source=_ci(owner, marker, "app"), target=_ci(owner, marker))
    return {"id": made.pk}


def _affected_incident(owner, marker, *, named=True):
    ticket = make_incident(by=owner, title=f"{marker} title")
    server = _ci(owner, marker)
    if named:
        cmdb_affected.add_affected(ticket, server, by=owner)
    return {"number": ticket.number, "ci_id": server.pk}


def affected_incident(owner, marker):
    return _affected_incident(owner, marker)


def incident_and_ci(owner, marker):
    return _affected_incident(owner, marker, named=False)


def cmdb_import(owner, marker):
    job = ImportJob.objects.create(token=uuid.uuid4().hex, source=marker[:60], format="csv", filename=f"{marker}.csv",
                                   file=f"tenants/x/cmdb-imports/{marker}.csv", status="done", total_rows=1,
                                   processed_rows=1, rejected=1, created_by=owner)
    ImportRejection.objects.create(job=job, row_number=1, errors={"class": [f"{marker} reason"]},
                                   data={"name": f"{marker} row"})
    return {"id": job.pk}


ID_MODELS = {calendar: Calendar, policy: Policy, clock: Clock, token: ApiToken, catalog_item: CatalogItem,
             approval_chain: ApprovalChainDefinition, approval_request: ApprovalRequest, cmdb_class: CIClass,
             relationship_type: RelationshipType, ci: CI, relationship: Relationship,
             software_product: SoftwareProduct, entitlement: Entitlement, asset: Asset, linked_asset: Asset,
             asset_contract: Contract, cmdb_import: ImportJob}


# -- what each operation sends: a body that would change alpha's object if it ever reached it -------

WEEKDAYS = [{"weekday": day, "start": "08:00", "end": "12:00"} for day in range(5)]


def calendar_body(params):
    return {"name": "Renamed by the caller", "time_zone": "UTC", "hours": WEEKDAYS, "holidays": []}


def policy_body(params):
    calendar_id = Target.objects.filter(policy_id=params["id"]).values_list("calendar_id", flat=True).first()
    return {"name": "Replaced by the caller", "ticket_type": "incidents.incident", "order": 2,
            "targets": [{"metric": Metric.RESOLUTION, "priority": 5, "duration_seconds": 60,
                         "calendar": calendar_id}]}


@dataclass(frozen=True)
class Case:
    make: Callable[[User, str], dict]
    body: Callable[[dict], dict] | None = None
    multipart: bool = False


def fixed(body: dict) -> Callable[[dict], dict]:
    return lambda params: dict(body)


CASES = {
    "incidents_retrieve": Case(incident),
    "incidents_partial_update": Case(incident, fixed({"title": "Changed by the caller", "urgency": 1})),
    "incidents_start": Case(incident, fixed({})),
    "incidents_hold": Case(incident, fixed({"hold_reason": "awaiting_vendor"})),
    "incidents_resume": Case(held_incident, fixed({})),
    "incidents_resolve": Case(incident, fixed({"resolution_code": "solved_remotely", "resolution_notes": "Done"})),
    "incidents_reopen": Case(resolved_incident, fixed({"comment": "Still broken"})),
    "incidents_close": Case(resolved_incident, fixed({})),
    "incidents_cancel": Case(incident, fixed({"cancel_reason": "Duplicate"})),
    "incidents_timeline_list": Case(incident),
    "incidents_comments_create": Case(incident, fixed({"body": "Written by the caller"})),
    "incidents_attachments_list": Case(incident),
    "incidents_attachments_create": Case(
        incident, lambda params: {"file": files.upload("caller.txt", b"uploaded by the caller")}, multipart=True),
    "incidents_attachments_retrieve": Case(attachment),
    "incidents_links_list": Case(linked_incident),
    "incidents_links_create": Case(incident_and_link_target,
                                   lambda params: {"kind": "related_to", "number": params["target"]}),
    "incidents_links_destroy": Case(link),
    "problems_retrieve": Case(problem_in("new")),
    "problems_partial_update": Case(problem_in("new"), fixed({"title": "Changed by the caller", "urgency": 1})),
    "problems_assess": Case(problem_in("new"), fixed({})),
    "problems_analyse": Case(problem_in("assess"), fixed({})),
    "problems_start_fix": Case(problem_in("root_cause_analysis"), fixed({"root_cause": "Found by the caller"})),
    "problems_resolve": Case(problem_in("fix_in_progress"),
                             fixed({"resolution_code": "fixed", "resolution_notes": "Done"})),
    "problems_reopen": Case(problem_in("resolved"), fixed({})),
    "problems_close": Case(problem_in("resolved"), fixed({})),
    "problems_cancel": Case(problem_in("new"), fixed({"cancel_reason": "Duplicate"})),
    "problems_timeline_list": Case(problem_in("new")),
    "problems_comments_create": Case(problem_in("new"), fixed({"body": "Written by the caller"})),
    "problems_attachments_list": Case(problem_in("new")),
    "problems_attachments_create": Case(
        problem_in("new"), lambda params: {"file": files.upload("caller.txt", b"uploaded by the caller")},
        multipart=True),
    "problems_attachments_retrieve": Case(problem_attachment),
    "problems_links_list": Case(problem_link),
    "problems_links_create": Case(problem_and_link_target,
                                  lambda params: {"kind": "problem_of", "number": params["target"]}),
    "problems_links_destroy": Case(problem_link),
    "problems_known_error_create": Case(problem_in("new")),
    "problems_known_error_destroy": Case(problem_in("new", known_error=True)),
    "known_errors_retrieve": Case(problem_in("new", known_error=True)),
    "tasks_retrieve": Case(task_in("open")),
    "tasks_partial_update": Case(task_in("open"), fixed({"title": "Changed by the caller", "urgency": 1})),
    "tasks_open": Case(task_in("on_hold"), fixed({})),
    "tasks_start": Case(task_in("open"), fixed({})),
    "tasks_hold": Case(task_in("open"), fixed({"hold_reason": "Waiting for the caller"})),
    "tasks_done": Case(task_in("open"), fixed({"completion_notes": "Done by the caller"})),
    "tasks_cancel": Case(task_in("open"), fixed({"cancel_reason": "Cancelled by the caller"})),
    "tasks_timeline_list": Case(task_in("open")),
    "tasks_comments_create": Case(task_in("open"), fixed({"body": "Written by the caller"})),
    "tasks_attachments_list": Case(task_in("open")),
    "tasks_attachments_create": Case(
        task_in("open"), lambda params: {"file": files.upload("caller.txt", b"uploaded by the caller")},
        multipart=True),
    "tasks_attachments_retrieve": Case(task_attachment),
    "tasks_links_list": Case(task_link),
    "tasks_links_create": Case(task_and_link_target, lambda params: {"kind": "related_to", "number": params["target"]}),
    "tasks_links_destroy": Case(task_link),
    "sla_calendars_retrieve": Case(calendar),
    "sla_calendars_update": Case(calendar, calendar_body),
    "sla_calendars_partial_update": Case(calendar, fixed({"name": "Renamed by the caller"})),
    "sla_calendars_destroy": Case(calendar),
    "sla_calendars_add_business_time_create": Case(
        calendar, fixed({"start": "2026-03-06T16:30:00+01:00", "duration": "PT4H"})),
    "sla_calendars_business_time_between_create": Case(
        calendar, fixed({"start": "2026-03-06T16:30:00+01:00", "end": "2026-03-09T13:00:00+01:00"})),
    "sla_calendars_import_holidays_create": Case(calendar, fixed({"country": "DE", "years": [2026]})),
    "sla_policies_retrieve": Case(policy),
    "sla_policies_update": Case(policy, policy_body),
    "sla_policies_partial_update": Case(policy, fixed({"description": "Changed by the caller", "order": 3})),
    "sla_policies_destroy": Case(policy),
    "sla_clocks_retrieve": Case(clock),
    "tokens_destroy": Case(token),
    "catalog_items_retrieve": Case(catalog_item),
    "catalog_items_order_create": Case(catalog_item, fixed({"quantity": 1, "variables": {}})),
    "approval_chains_retrieve": Case(approval_chain),
    "approval_chains_update": Case(approval_chain, fixed({"name": "Replaced by the caller", "stages": [
        {"order": 1, "name": "Manager", "kind": "manager"}]})),
    "approvals_retrieve": Case(approval_request),
    "approvals_decide_create": Case(approval_request, fixed({"decision": "approve"})),
    "assets_products_retrieve": Case(software_product),
    "assets_products_update": Case(software_product, fixed({"vendor": "Caller", "name": "Replaced by the caller"})),
    "assets_products_partial_update": Case(software_product, fixed({"name": "Renamed by the caller"})),
    "assets_products_destroy": Case(software_product),
    "assets_entitlements_retrieve": Case(entitlement),
    "assets_entitlements_update": Case(entitlement, entitlement_body),
    "assets_entitlements_partial_update": Case(entitlement, fixed({"quantity": 7})),
    "assets_entitlements_destroy": Case(entitlement),
    "assets_retrieve": Case(asset),
    "assets_partial_update": Case(asset, fixed({"name": "Renamed by the caller"})),
    "assets_transition_create": Case(asset, fixed({"action": "receive"})),
    "assets_ci_create": Case(asset, fixed({"ci_class": "end_user_device"})),
    "assets_ci_destroy": Case(linked_asset),
    "assets_contracts_retrieve": Case(asset_contract),
    "assets_contracts_partial_update": Case(asset_contract, fixed({"notes": "Changed by the caller"})),
    "cmdb_classes_retrieve": Case(cmdb_class),
    "cmdb_relationship_types_retrieve": Case(relationship_type),
    "cmdb_cis_retrieve": Case(ci),
    "cmdb_cis_partial_update": Case(ci, fixed({"name": "Renamed by the caller", "status": "retired"})),
    "cmdb_cis_history_list": Case(ci),
    "cmdb_cis_impact_retrieve": Case(ci),
    "cmdb_relationships_retrieve": Case(relationship),
    "cmdb_relationships_destroy": Case(relationship),
    "cmdb_tickets_affected_cis_list": Case(affected_incident),
    "cmdb_tickets_affected_cis_create": Case(incident_and_ci, lambda params: {"ci": params["ci_id"]}),
    "cmdb_tickets_affected_cis_destroy": Case(affected_incident),
    "cmdb_imports_retrieve": Case(cmdb_import),
    "cmdb_imports_rejections_list": Case(cmdb_import),
}
def upload_body(params):
    return {"file": files.upload("caller.txt", b"uploaded by the caller")}


for prefix, index, make in (("requests", 0, request_in), ("requested_items", 1, requested_item_in)):
    CASES.update({
        f"{prefix}_retrieve": Case(make()),
        f"{prefix}_partial_update": Case(make(), fixed({"title": "Changed by the caller", "urgency": 1})),
        f"{prefix}_timeline_list": Case(make()),
        f"{prefix}_comments_create": Case(make(), fixed({"body": "Written by the caller"})),
        f"{prefix}_attachments_list": Case(make()),
        f"{prefix}_attachments_create": Case(make(), upload_body, multipart=True),
        f"{prefix}_attachments_retrieve": Case(_order_attachment(index)),
        f"{prefix}_links_list": Case(_order_link(index)),
        f"{prefix}_links_create": Case(_order_and_link_target(index),
                                       lambda params: {"kind": "related_to", "number": params["target"]}),
        f"{prefix}_links_destroy": Case(_order_link(index)),
    })
CASES.update({
    "servicerequests_cancel": Case(request_in(), fixed({"cancel_reason": "Duplicate"})),
    "servicerequests_close": Case(request_in("fulfilled"), fixed({})),
    "requesteditems_approve": Case(requested_item_in("awaiting_approval"), fixed({})),
    "requesteditems_fulfil": Case(requested_item_in(), fixed({})),
    "requesteditems_reject": Case(requested_item_in(), fixed({"rejection_reason": "Not in the budget"})),
    "requesteditems_cancel": Case(requested_item_in(), fixed({"cancel_reason": "Duplicate"})),
})


# -- sequences, snapshots, requests ---------------------------------------------------------------

def _sequences() -> dict[str, int]:
    """Every sequence of the current schema and the value its next call will return.

    Read from each sequence itself: pg_sequences shows no value after ``setval(..., false)``."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        names = [name for (name,) in cursor.fetchall()]
        if not names:
            return {}
        # One round trip for all of them (a schema has a sequence per table).
        cursor.execute(" UNION ALL ".join(
            f"SELECT %s, CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM {connection.ops.quote_name(name)}"
            for name in names), names)
        return dict(cursor.fetchall())


def _set_next(values: dict[str, int]) -> None:
    if not values:
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(["setval(%s, %s, false)"] * len(values)),
                       [item for name, value in values.items() for item in (connection.ops.quote_name(name), value)])


SNAPSHOT_MODELS = (User, ApiToken, TimelineEntry, Attachment, TicketLink, Calendar, WorkingHours, Holiday, Policy, Target,
                   EscalationRule, Clock, Task, ServiceRequest, RequestedItem, CatalogItem, ApprovalChainDefinition,
                   StageDefinition, Approval, ApprovalStage, ApprovalRequest, ApprovalDecision, SoftwareProduct,
                   Entitlement, Asset, AssetHistory, Contract, CIClass, AttributeDefinition, RelationshipType, CI,
                   CIHistory, Relationship, AffectedCI, ImportJob, ImportRejection)


def snapshot_of(tenant) -> dict:
    """All of a tenant's rows that any of these operations could touch, plus its public due-clock rows."""
    with schema_context(tenant.schema_name):
        rows = {model.__name__: list(model.objects.order_by("pk").values())
                for model in (Incident, Problem, *SNAPSHOT_MODELS)}
    rows["DueClock"] = list(DueClock.objects.filter(schema_name=tenant.schema_name).order_by("pk").values())
    return rows


def body_of(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def call(client, operation_id, params, *, host=None):
    method, template = OPERATIONS[operation_id]
    case = CASES[operation_id]
    extra = {"HTTP_HOST": host} if host else {}
    data = case.body(params) if case.body else None
    fmt = "multipart" if case.multipart else "json"
    if method in ("GET", "DELETE"):
        return getattr(client, method.lower())(template.format(**params), **extra)
    return getattr(client, method.lower())(template.format(**params), data, format=fmt, **extra)


def test_every_operation_with_a_path_parameter_has_a_case():
    assert OPERATIONS, "the schema lists no operation with a path parameter"
    missing = sorted(set(OPERATIONS) - set(CASES))
    assert not missing, f"no isolation case (how to make alpha's object) for: {', '.join(missing)}"
    stale = sorted(set(CASES) - set(OPERATIONS))
    assert not stale, f"cases for operations no longer in the schema: {', '.join(stale)}"


@pytest.fixture(autouse=True)
def stand_in_guards():
    """Items pass "approved" and "all_tasks_done": an action that reached alpha's item would change it."""
    restore = stand_in("approved", "all_tasks_done")
    yield
    restore()


@pytest.fixture
def sides(tenant, other_tenant):
    """Beta's admin and its clients first, then every alpha sequence moved past beta's, then alpha's admin.

    After this nothing is created in beta (unless isolation breaks), so no beta row can get an id or
    number that alpha's objects will have."""
    with schema_context(other_tenant.schema_name):
        beta_admin = AdminFactory()
    beta = {"token": api_client(other_tenant, beta_admin), "session": api_client(other_tenant)}
    with schema_context(other_tenant.schema_name):
        beta["session"].force_login(beta_admin)
        beta_next = _sequences()
    alpha_next = _sequences()
    _set_next({name: max(value, beta_next.get(name, 0)) for name, value in alpha_next.items()})
    return {"alpha_admin": AdminFactory(), "beta_admin": beta_admin, "beta": beta}


def _alpha_host(tenant) -> str:
    return api_client(tenant).defaults["HTTP_HOST"]


def _absent_in_current_schema(case: Case, params: dict) -> bool:
    """None of the ids or numbers in ``params`` names a row of its kind here."""
    if "number" in params and Incident.objects.filter(number=params["number"]).exists():
        return False
    if "number" in params and Task.objects.filter(number=params["number"]).exists():
        return False
    if "attachment_id" in params and Attachment.objects.filter(pk=params["attachment_id"]).exists():
        return False
    if "link_id" in params and TicketLink.objects.filter(pk=params["link_id"]).exists():
        return False
    return "id" not in params or not ID_MODELS[case.make].objects.filter(pk=params["id"]).exists()


@pytest.mark.parametrize("auth", ["token", "session"])
@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_beta_cannot_reach_alphas_object(tenant, other_tenant, sides, operation_id, auth):
    assert operation_id in CASES, f"no isolation case for {operation_id}"
    marker = f"alpha-{uuid.uuid4().hex}"
    params = CASES[operation_id].make(sides["alpha_admin"], marker)
    with schema_context(other_tenant.schema_name):
        assert _absent_in_current_schema(CASES[operation_id], params), "alpha's ids must not exist in beta for a 404 to mean anything"
    before = snapshot_of(tenant)

    beta = sides["beta"][auth]
    on_beta = call(beta, operation_id, params)
    back_to(tenant)
    on_alpha = call(beta, operation_id, params, host=_alpha_host(tenant))
    back_to(tenant)

    for where, response in (("beta's host", on_beta), ("alpha's host", on_alpha)):
        body = body_of(response)
        assert response.status_code in REFUSED, f"{operation_id} on {where}: {response.status_code} {body[:300]!r}"
        assert marker.encode() not in body, f"{operation_id} on {where} leaked alpha's object"
    assert snapshot_of(tenant) == before, f"{operation_id} with beta's credentials changed alpha's data"

    # The same request from alpha's admin works: beta was refused for being beta, not for a bad request.
    control = call(api_client(tenant, sides["alpha_admin"]), operation_id, params)
    back_to(tenant)
    assert control.status_code < 300, f"control {operation_id}: {control.status_code} {body_of(control)[:300]!r}"
    if OPERATIONS[operation_id][0] == "GET":
        assert marker.encode() in body_of(control), f"{operation_id} does not show the marker, so cannot leak it"


@pytest.mark.parametrize("operation_id", sorted(OPERATIONS))
def test_where_beta_has_the_same_ids_it_gets_its_own_object_never_alphas(tenant, other_tenant, sides, operation_id):
    start = _sequences()
    alpha_marker, beta_marker = f"alpha-{uuid.uuid4().hex}", f"beta-{uuid.uuid4().hex}"
    params = CASES[operation_id].make(sides["alpha_admin"], alpha_marker)
    with schema_context(other_tenant.schema_name):
        # The same factory from the same sequence positions gives beta a twin with alpha's ids.
        beta_sequences = _sequences()  # read once: inside the comprehension it ran once per sequence
        _set_next({name: value for name, value in start.items() if name in beta_sequences})
        twin = CASES[operation_id].make(sides["beta_admin"], beta_marker)
    assert twin == params
    before = snapshot_of(tenant)

    beta = sides["beta"]["token"]
    on_beta = call(beta, operation_id, params)
    back_to(tenant)
    on_alpha = call(beta, operation_id, params, host=_alpha_host(tenant))
    back_to(tenant)

    beta_body, alpha_body = body_of(on_beta), body_of(on_alpha)
    assert alpha_marker.encode() not in beta_body and alpha_marker.encode() not in alpha_body
    assert on_alpha.status_code in REFUSED
    if OPERATIONS[operation_id][0] == "GET":
        assert on_beta.status_code == 200 and beta_marker.encode() in beta_body, f"{operation_id}: {beta_body[:300]!r}"
    assert snapshot_of(tenant) == before, f"{operation_id} on beta's twin changed alpha's data"
