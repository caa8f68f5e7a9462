"""Demo service catalogue: what a service desk starts with, and orders in every state.

Four items (a laptop with the manager's approval, new-hire onboarding with the manager's and IT's
approval and four tasks, software licences with a cost rule for finance, a password reset with no
approval), and requests awaiting approval, in fulfilment, rejected and fulfilled. Everything is made
through the services tenant admins, requesters, approvers and agents use, so the demo only shows
what the product itself can write.
"""

from __future__ import annotations

from accounts.models import AssignmentGroup, User
from approvals import definitions as chains
from approvals import services as approval_services
from approvals.models import ApprovalRequest
from fulfilment import queries as task_queries
from fulfilment import services as task_services
from service_requests import configuration
from service_requests import services as order_services
from service_requests.models import CatalogItem


def _item(admin, category, *, variables=(), tasks=(), **fields) -> CatalogItem:
    item = configuration.save_item(by=admin, category=category, **fields)
    for order, variable in enumerate(variables, start=1):
        configuration.save_variable(by=admin, item=item, order=order, **variable)
    for task in tasks:
        configuration.save_task_template(by=admin, item=item, **task)
    return item


def build_catalogue(*, admin, desk: AssignmentGroup, apps: AssignmentGroup, finance: AssignmentGroup) -> dict:
    manager_approval = chains.save_chain(by=admin, name="Manager approval", description="The requester's line manager.",
                                         stages=[{"order": 1, "name": "Line manager", "kind": "manager",
                                                  "reminder_after_hours": 8, "timeout_after_hours": 24,
                                                  "timeout_action": "escalate", "escalate_to": admin}])
    new_hire = chains.save_chain(by=admin, name="New hire: manager and IT", stages=[
        {"order": 1, "name": "Hiring manager", "kind": "manager", "reminder_after_hours": 4},
        {"order": 2, "name": "IT approval", "kind": "group", "group": desk, "group_mode": "any"}])
    cost_rule = chains.save_chain(
        by=admin, name="Software cost rule",
        description="The manager approves; above 1,000 in total, finance approves too.", stages=[
            {"order": 1, "name": "Line manager", "kind": "manager"},
            {"order": 2, "name": "Finance", "kind": "rule", "group": finance, "group_mode": "any",
             "rule_condition": {"all": [{"fact": "total", "op": "gt", "value": 1000}]}}])

    hardware = configuration.save_category(by=admin, name="Hardware", icon="laptop", order=1,
                                           description="Laptops, screens and accessories.")
    people = configuration.save_category(by=admin, name="People", icon="user", order=2,
                                         description="Joiners, movers and leavers.")
    software = configuration.save_category(by=admin, name="Software", icon="software", order=3,
                                           description="Licences and access to business applications.")
    access = configuration.save_category(by=admin, name="Accounts and access", icon="key", order=4,
                                         description="Passwords, accounts and permissions.")
    laptop = _item(
        admin, hardware, name="Laptop", icon="laptop", price=1299, cost_centre="IT-HW-4410",
        approval_chain=manager_approval, delivery_target_hours=40, order=1,
        short_description="A new or replacement laptop, imaged and ready to use.",
        description="Standard laptops come with the company image, **Office** and the VPN client.\n\n"
                    "Your manager approves the order; delivery is within five working days.",
        variables=[
            {"name": "model", "type": "choice", "label": "Model", "required": True,
             "choices": [["standard", "Standard 14-inch"], ["performance", "Performance 16-inch"],
                         ["ultralight", "Ultralight 13-inch"]]},
            {"name": "keyboard", "type": "choice", "label": "Keyboard layout", "default": "uk",
             "choices": [["uk", "UK"], ["us", "US"], ["de", "German"]]},
            {"name": "needs_monitor", "type": "checkbox", "label": "I also need a monitor"},
            {"name": "monitor_size", "type": "choice", "label": "Monitor size", "required": True,
             "choices": [["24", "24-inch"], ["27", "27-inch"]],
             "show_when": [{"variable": "needs_monitor", "op": "eq", "value": True}]},
            {"name": "deliver_to", "type": "text", "label": "Deliver to", "required": True, "max_length": 120,
             "help_text": "Building, floor and desk, or a home address."},
            {"name": "needed_by", "type": "date", "label": "Needed by"},
            {"name": "notes", "type": "textarea", "label": "Anything else we should know", "max_length": 2000},
        ],
        tasks=[{"title": "Take the laptop from stock and image it", "assignment_group": desk, "step": 1,
                "due_in_hours": 16},
               {"title": "Hand the laptop over", "assignment_group": desk, "step": 2, "due_in_hours": 24}])
    onboarding = _item(
        admin, people, name="New hire onboarding", icon="user", approval_chain=new_hire, delivery_target_hours=80,
        order=1, short_description="Everything a new colleague needs on day one.",
        description="Order this at least **two weeks** before the start date: account, mailbox, laptop, "
                    "application access and a welcome session.",
        variables=[
            {"name": "new_hire_name", "type": "text", "label": "New colleague's full name", "required": True},
            {"name": "start_date", "type": "date", "label": "Start date", "required": True},
            {"name": "department", "type": "choice", "label": "Department", "required": True,
             "choices": [["sales", "Sales"], ["finance", "Finance"], ["marketing", "Marketing"],
                         ["operations", "Operations"]]},
            {"name": "job_title", "type": "text", "label": "Job title", "max_length": 100},
            {"name": "applications", "type": "multi_choice", "label": "Applications they need",
             "choices": [["crm", "CRM"], ["erp", "ERP"], ["design", "Design suite"], ["bi", "Reporting (BI)"]]},
        ],
        tasks=[{"title": "Create the account and mailbox", "assignment_group": desk, "step": 1, "due_in_hours": 16},
               {"title": "Prepare the laptop", "assignment_group": desk, "step": 1, "due_in_hours": 24},
               {"title": "Grant application access", "assignment_group": apps, "step": 2, "due_in_hours": 16},
               {"title": "Welcome session on the first day", "assignment_group": desk, "step": 3}])
    licence = _item(
        admin, software, name="Software licence", icon="software", price=450, cost_centre="IT-SW-2210",
        approval_chain=cost_rule, delivery_target_hours=16, order=1,
        short_description="A named seat of a licensed application, per person per year.",
        description="Above 1,000 in total, finance approves the order after your manager.",
        variables=[
            {"name": "application", "type": "choice", "label": "Application", "required": True,
             "choices": [["creative_cloud", "Adobe Creative Cloud"], ["visio", "Microsoft Visio"],
                         ["tableau", "Tableau Creator"]]},
            {"name": "business_reason", "type": "textarea", "label": "Business reason", "required": True,
             "min_length": 20, "help_text": "What the licence is for, in a sentence or two."},
        ],
        tasks=[{"title": "Assign the licence seat", "assignment_group": apps, "step": 1, "due_in_hours": 8}])
    password = _item(
        admin, access, name="Password reset", icon="key", delivery_target_hours=4, order=1,
        short_description="Locked out or forgot a password? We reset it and call you.",
        variables=[
            {"name": "account", "type": "choice", "label": "Which account", "required": True,
             "choices": [["windows", "Windows sign-in"], ["email", "Email"], ["vpn", "VPN"], ["erp", "ERP"]]},
            {"name": "call_back", "type": "text", "label": "Phone number to call you on", "required": True,
             "regex": r"^\+?[0-9 ()-]{6,20}$", "help_text": "We call to confirm it is you before we reset it."},
        ],
        tasks=[{"title": "Reset the password and call the user back", "assignment_group": desk, "step": 1,
                "due_in_hours": 2}])
    return {"laptop": laptop, "onboarding": onboarding, "licence": licence, "password": password}


def _line(item, quantity=1, **answers):
    return order_services.OrderLine(catalog_item=item, quantity=quantity, variables=answers)


def _decide(item_ticket, approver, decision, comment=""):
    request = ApprovalRequest.objects.get(stage__approval__ticket_id=item_ticket.pk,
                                          stage__approval__ticket_type=item_ticket._meta.label_lower,
                                          approver=approver, state=ApprovalRequest.State.PENDING)
    approval_services.decide(request, by=approver, decision=decision, comment=comment, via="portal")


def _finish_open_tasks(item_ticket, agent):
    for task in task_queries.tasks_of(item_ticket):
        if task.state == "open":
            task_services.transition_task(task, "done", by=agent)


def populate(*, admin, agent, requester, manager, colleague, groups: dict) -> None:
    """``manager``: the requester's line manager (who approves in the portal); ``colleague``: another requester."""
    if CatalogItem.objects.exists():
        return
    finance, _ = AssignmentGroup.objects.get_or_create(name="Finance approvers",
                                                       defaults={"description": "Approve spending above the limit."})
    finance.members.add(admin)
    items = build_catalogue(admin=admin, desk=groups["Service Desk"], apps=groups["Business Applications"],
                            finance=finance)
    # Awaiting the manager's approval: what the manager sees under "Approvals" in the portal.
    order_services.submit_request(by=requester, items=[_line(
        items["laptop"], model="standard", keyboard="uk", needs_monitor=True, monitor_size="27",
        deliver_to="London office, 3rd floor, desk 14")])
    # Approved by the manager and IT: its first step of tasks is done, the second is open.
    onboarding = order_services.submit_request(by=manager, items=[_line(
        items["onboarding"], new_hire_name="Sam Rivera", start_date="2027-01-11", department="sales",
        job_title="Account executive", applications=["crm", "bi"])]).created_items[0]
    _decide(onboarding, admin, "approve", "Budgeted in the Q1 plan.")
    _decide(onboarding, agent, "approve")
    _finish_open_tasks(onboarding, agent)
    # Three seats: the manager approves, finance rejects.
    licences = order_services.submit_request(by=colleague, items=[_line(
        items["licence"], quantity=3, application="visio",
        business_reason="Process maps for the warehouse redesign project.")]).created_items[0]
    _decide(licences, manager, "approve")
    _decide(licences, admin, "reject", "Use the two shared Visio seats of the project team instead.")
    # No approval: done and closed.
    reset = order_services.submit_request(by=requester, items=[_line(
        items["password"], account="vpn", call_back="+44 20 7946 0321")]).created_items[0]
    _finish_open_tasks(reset, agent)


def ensure_manager(*, slug: str, password: str, requester: User, admin: User, colleagues=()) -> User:
    """The requester's line manager, who signs in to the portal to approve (and whose own manager is the admin)."""
    manager, created = User.objects.get_or_create(
        email=f"manager@{slug}.example",
        defaults={"full_name": "Taylor Brooks", "role": User.Role.REQUESTER, "department": requester.department,
                  "manager": admin})
    if created:
        manager.set_password(password)
        manager.save(update_fields=["password"])
    User.objects.filter(pk__in=[requester.pk, *(c.pk for c in colleagues)], manager__isnull=True).update(manager=manager)
    return manager
