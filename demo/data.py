"""Demo MSP, tenants and realistic tickets for `make run` (password "demo": demo data only)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import get_public_schema_name, schema_context

from accounts.models import AssignmentGroup, Skill, User
from tenants import services as tenant_services
from tenants.models import Tenant

DEMO_PASSWORD = "demo"
MSP_OPERATOR = "msp@example.com"

TENANTS = {
    "acme": {"name": "Acme Corporation", "primary_color": "#1f4e8c", "accent_color": "#e8833a", "time_zone": "Europe/London",
             "product_name": "Acme IT Help"},
    "globex": {"name": "Globex Industries", "primary_color": "#2e7d32", "accent_color": "#8e24aa", "time_zone": "America/New_York",
               "product_name": "Globex Service Desk"},
}

GROUPS = {
    "Service Desk": ["Triage", "Password resets", "Windows"],
    "Network Operations": ["VPN", "Wi-Fi", "Firewall"],
    "Business Applications": ["ERP", "CRM", "Email"],
}

PEOPLE = [
    ("agent", "Alex Morgan", "Service Desk"),
    ("agent", "Priya Shah", "Network Operations"),
    ("agent", "Jonas Berg", "Business Applications"),
    ("agent", "Maria Lopez", "Service Desk"),
]
# How long ago the demo incidents were raised: a spread of fresh, warning and breached SLA clocks.
AGES_MINUTES = [10, 25, 45, 90, 150, 240, 400, 700, 1500, 3000]
REQUESTERS = ["Chris Taylor", "Dana Kim", "Evan Wright", "Fatima Noor", "George Adams", "Hannah Lee"]

SCENARIOS = [
    ("Cannot connect to VPN from home", "VPN client says *authentication failed* since this morning.", 2, 1, "Network Operations", "VPN"),
    ("Outlook keeps asking for password", "Prompt appears every few minutes, even after entering the password.", 3, 2, "Business Applications", "Email"),
    ("Printer on 3rd floor jams every job", "The HP printer near the kitchen jams on every print.", 3, 3, "Service Desk", "Printer"),
    ("ERP invoices stuck in approval", "Since the update last night no invoice moves past *Pending approval*.", 1, 1, "Business Applications", "Business application"),
    ("Laptop battery drains in one hour", "My laptop is 6 months old and the battery lasts only an hour.", 3, 3, "Service Desk", "Laptop"),
    ("Wi-Fi drops in meeting room B", "Wi-Fi disconnects every 10 minutes in meeting room B.", 2, 2, "Network Operations", "Wi-Fi"),
    ("Account locked after password change", "I changed my password and now my account is locked.", 3, 1, "Service Desk", "Account locked"),
    ("CRM search returns no results", "Searching for customers in the CRM returns nothing for everyone in Sales.", 2, 1, "Business Applications", "Business application"),
    ("Need access to the finance share", "Please grant me access to \\\\fs01\\finance.", 3, 3, "Service Desk", "Permissions"),
    ("Website checkout returns error 500", "Customers report errors at checkout. Monitoring shows 5xx spikes.", 1, 1, "Business Applications", "Business application"),
    ("Teams calls are choppy", "Audio breaks up on every Teams call from the office network.", 2, 2, "Network Operations", "Internet access"),
    ("Blue screen after Windows update", "After the update my PC shows a blue screen at boot.", 3, 1, "Service Desk", "Operating system"),
]


def ensure_operator() -> User:
    with schema_context(get_public_schema_name()):
        operator = User.objects.filter(email=MSP_OPERATOR).first()
        if operator is None:
            operator = User.objects.create_user(MSP_OPERATOR, DEMO_PASSWORD, full_name="Morgan Operator",
                                                role=User.Role.OPERATOR, is_staff=True)
    return operator


def ensure_tenant(slug: str) -> Tenant:
    tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        spec = dict(TENANTS[slug])
        tenant = tenant_services.create_tenant(
            slug=slug, name=spec.pop("name"), admin_email=f"admin@{slug}.example", admin_name=f"{slug.capitalize()} Admin",
            admin_password=DEMO_PASSWORD, validate_admin_password=False, support_email=f"servicedesk@{slug}.example",
            **spec,
        )
    return tenant


@transaction.atomic
def populate_tenant(tenant: Tenant, *, seed: int = 7) -> None:
    """People, groups and a realistic spread of incidents, all through the services."""
    from incidents import services as incident_services
    from incidents.models import Incident, ResolutionCode
    from tickets.models import Category

    rng = random.Random(seed)
    with schema_context(tenant.schema_name):
        if Incident.objects.exists():
            return
        slug = tenant.slug
        groups = {}
        for group_name, skills in GROUPS.items():
            group, _ = AssignmentGroup.objects.get_or_create(name=group_name, defaults={"email": f"{group_name.split()[0].lower()}@{slug}.example"})
            group.skills.set([Skill.objects.get_or_create(name=s)[0] for s in skills])
            groups[group_name] = group
        admin = User.objects.get(email=f"admin@{slug}.example")
        agent = User.objects.create_user(f"agent@{slug}.example", DEMO_PASSWORD, full_name="Sam Agent", role=User.Role.AGENT)
        user = User.objects.create_user(f"user@{slug}.example", DEMO_PASSWORD, full_name="Robin User", role=User.Role.REQUESTER,
                                        department="Sales")
        for group in groups.values():
            group.members.add(agent, admin)
            group.manager = admin
            group.save(update_fields=["manager"])
        from demo import sla as sla_demo

        sla_demo.configure(tenant, admin=admin)
        agents = [agent]
        for role, full_name, group_name in PEOPLE:
            email = full_name.lower().replace(" ", ".") + f"@{slug}.example"
            person = User.objects.create_user(email, None, full_name=full_name, role=role)
            groups[group_name].members.add(person)
            agents.append(person)
        requesters = [user] + [
            User.objects.create_user(n.lower().replace(" ", ".") + f"@{slug}.example", None, full_name=n,
                                     department=rng.choice(["Sales", "Finance", "Marketing", "Operations"]))
            for n in REQUESTERS
        ]
        User.objects.filter(full_name="Dana Kim").update(is_vip=True)  # the VIP policy's demo requester
        categories = {c.name: c for c in Category.objects.all()}
        now = timezone.now()
        for i, (title, description, impact, urgency, group_name, category) in enumerate(SCENARIOS * 2):
            requester = user if i % 4 == 0 else rng.choice(requesters)
            group = groups[group_name]
            member = rng.choice([a for a in agents if group.members.filter(pk=a.pk).exists()])
            incident = incident_services.create_incident(
                by=requester, requester=requester, title=title, description=description,
                channel=rng.choice(["portal", "email", "phone", "portal"]), impact=impact, urgency=urgency,
                category=categories.get(category), assignment_group=group,
                opened_at=now - timedelta(minutes=rng.choice(AGES_MINUTES)),
            )
            stage = i % 6
            if stage == 0:
                continue  # stays New and unassigned to the person
            incident = incident_services.update_incident(incident, by=admin, changes={"assignee": member})
            incident = incident_services.transition_incident(incident, "start", by=member)
            incident_services.add_reply(incident, by=member, is_public=True,
                                        body=f"Hi {requester.get_short_name()}, I'm looking into this now.")
            incident_services.add_reply(incident, by=member, is_public=False,
                                        body="Checked the logs; looks related to last night's change.")
            if stage == 2:
                incident_services.transition_incident(incident, "hold", by=member, fields={"hold_reason": "awaiting_caller"},
                                                      comment="Waiting for the caller to confirm a time for remote session.")
            elif stage == 3:
                incident_services.transition_incident(
                    incident, "resolve", by=member,
                    fields={"resolution_code": ResolutionCode.SOLVED_PERMANENTLY, "resolution_notes": "Fixed the configuration and confirmed with the user."})
            elif stage == 4:
                incident = incident_services.transition_incident(
                    incident, "resolve", by=member,
                    fields={"resolution_code": ResolutionCode.SOLVED_WORKAROUND, "resolution_notes": "Workaround applied."})
                incident_services.transition_incident(incident, "close", by=requester)
        # A P1 whose 75% warning (3h of 4h, round the clock) fires a few minutes after `make run` starts.
        incident_services.create_incident(
            by=user, requester=user, title="Payroll export to the bank fails", impact=1, urgency=1,
            description="The nightly payroll file is rejected by the bank portal: *invalid signature*.",
            channel="phone", category=categories.get("Business application"), assignment_group=groups["Business Applications"],
            assignee=agent, opened_at=now - timedelta(hours=2, minutes=57))
        from demo import fulfilment as fulfilment_demo

        fulfilment_demo.populate(agent=agent, requester=user, group=groups["Service Desk"],
                                 category=categories.get("Laptop"))
        from demo import problems as problems_demo

        problems_demo.populate(admin=admin, agent=agent, requester=user, group=groups["Network Operations"],
                               category=categories.get("VPN"))
        major = Incident.objects.filter(title__startswith="Website checkout").order_by("opened_at").first()
        if major is not None:
            major = incident_services.update_incident(major, by=admin, changes={"is_major": True})
            for child in Incident.objects.filter(title__startswith="Website checkout").exclude(pk=major.pk):
                incident_services.update_incident(child, by=admin, changes={"parent": major})


@transaction.atomic
def populate_catalogue(tenant: Tenant) -> None:
    """The service catalogue, its approvers and orders; also for demo tenants seeded before it existed."""
    from demo import catalogue
    from demo import sla as sla_demo

    with schema_context(tenant.schema_name):
        slug = tenant.slug
        admin = User.objects.get(email=f"admin@{slug}.example")
        requester = User.objects.get(email=f"user@{slug}.example")
        colleague = User.objects.filter(full_name="Chris Taylor").first() or requester
        others = User.objects.filter(role=User.Role.REQUESTER, full_name__in=REQUESTERS)
        manager = catalogue.ensure_manager(slug=slug, password=DEMO_PASSWORD, requester=requester, admin=admin,
                                           colleagues=others)
        sla_demo.configure_requests(admin=admin)
        catalogue.populate(admin=admin, agent=User.objects.get(email=f"agent@{slug}.example"), requester=requester,
                           manager=manager, colleague=colleague,
                           groups={g.name: g for g in AssignmentGroup.objects.all()})


@transaction.atomic
def populate_cmdb(tenant: Tenant) -> None:
    """The CMDB estate (services down to the network, a laptop per person); also for tenants seeded before it."""
    from demo import cmdb as cmdb_demo

    with schema_context(tenant.schema_name):
        slug = tenant.slug
        people = User.objects.filter(email__endswith=f"@{slug}.example", is_active=True).order_by("pk")
        cmdb_demo.populate(by=User.objects.get(email=f"agent@{slug}.example"), slug=slug,
                           groups={g.name: g for g in AssignmentGroup.objects.all()}, people=list(people))


def populate_assets(tenant: Tenant) -> None:
    """Assets for the estate's laptops and servers, contracts, licences and patches, and the incident on a CI.

    After ``populate_cmdb``: each part finds the estate's CIs by name and skips what is missing.
    """
    from demo import affected, software
    from demo import assets as assets_demo

    assets_demo.populate_assets(tenant)
    with schema_context(tenant.schema_name), transaction.atomic():
        software.seed_software(tenant, admin=User.objects.get(email=f"admin@{tenant.slug}.example"))
    affected.name_affected_demo_cis(tenant)


def seed_demo(stdout=None) -> None:
    tenant_services.ensure_public_tenant()
    ensure_operator()
    for slug in TENANTS:
        tenant = ensure_tenant(slug)
        populate_tenant(tenant)
        populate_catalogue(tenant)
        populate_cmdb(tenant)
        populate_assets(tenant)
        if stdout:
            stdout.write(f"tenant {slug}: {tenant_services.absolute_url(tenant_services.tenant_host(slug))}")
