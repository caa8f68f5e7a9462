"""Demo CMDB estate: two business services down to the network, and a laptop for each demo person.

Other demo modules (incidents on a CI, licences, patches) find these CIs by name, so the names are fixed.
Everything goes through ``cmdb.services``, as an agent working in the desk would.

Shape (a failure travels up the arrows' reverse, see ``cmdb.builtins``)::

    Online Sales -depends on-> Web Shop -> ShopFront -runs on-> web-cluster <-member of- lnx-web-01/02
                            -> Payment Gateway -> Payments API -runs on-> lnx-web-02
                 ShopFront -depends on-> shop-db -runs on-> lnx-db-01
    Payroll -> Payroll Portal -> PayrollPro -> payroll-db -runs on-> win-pay-01 <-runs on- PayrollPro
    every server -connects to-> dist-sw-01 -> core-sw-01 <- fw-01
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from cmdb import services
from cmdb.models import CI, CIClass, RelationshipType

SOURCE = "demo-discovery"
STALE_DAYS = 45  # win-pay-01: live, critical and unseen for longer than the default 30 days
SUPPORT = {"network": "Network Operations", "apps": "Business Applications", "desk": "Service Desk"}

# (name, class key, support, criticality, attributes, identifiers)
ESTATE = [
    ("Online Sales", "business_service", "apps", CI.Criticality.CRITICAL,
     {"service_hours": "24x7"}, {}),
    ("Payroll", "business_service", "apps", CI.Criticality.HIGH,
     {"service_hours": "Mon-Fri 07:00-19:00"}, {}),
    ("Web Shop", "application_service", "apps", CI.Criticality.HIGH,
     {"url": "https://shop.{slug}.example"}, {}),
    ("Payment Gateway", "application_service", "apps", CI.Criticality.HIGH,
     {"url": "https://pay.{slug}.example"}, {}),
    ("Payroll Portal", "application_service", "apps", CI.Criticality.MEDIUM,
     {"url": "https://payroll.{slug}.example"}, {}),
    ("ShopFront", "application", "apps", CI.Criticality.HIGH,
     {"vendor": "In-house", "version": "4.2.1"}, {}),
    ("Payments API", "application", "apps", CI.Criticality.HIGH,
     {"vendor": "In-house", "version": "2.7.0"}, {}),
    ("PayrollPro", "application", "apps", CI.Criticality.MEDIUM,
     {"vendor": "PayrollPro Ltd", "version": "11.3"}, {}),
    ("shop-db", "database", "apps", CI.Criticality.HIGH,
     {"engine": "PostgreSQL", "engine_version": "16.4"}, {}),
    ("payroll-db", "database", "apps", CI.Criticality.MEDIUM,
     {"engine": "SQL Server", "engine_version": "2019"}, {}),
    ("lnx-web-01", "linux_server", "apps", CI.Criticality.HIGH,
     {"manufacturer": "Dell", "model": "PowerEdge R650", "cpu_cores": 16, "memory_gb": 64,
      "operating_system": "Linux", "distribution": "Debian 12", "kernel": "6.1"},
     {"serial_number": "DL-7QX2K31", "ip_addresses": ["10.20.1.11"], "mac_addresses": ["00:1a:4b:20:01:11"]}),
    ("lnx-web-02", "linux_server", "apps", CI.Criticality.HIGH,
     {"manufacturer": "Dell", "model": "PowerEdge R650", "cpu_cores": 16, "memory_gb": 64,
      "operating_system": "Linux", "distribution": "Debian 12", "kernel": "6.1"},
     {"serial_number": "DL-7QX2K32", "ip_addresses": ["10.20.1.12"], "mac_addresses": ["00:1a:4b:20:01:12"]}),
    ("lnx-db-01", "linux_server", "apps", CI.Criticality.CRITICAL,
     {"manufacturer": "HPE", "model": "ProLiant DL380 Gen11", "cpu_cores": 32, "memory_gb": 256,
      "operating_system": "Linux", "distribution": "Red Hat Enterprise Linux 9", "kernel": "5.14"},
     {"serial_number": "HP-CZ2310A7", "ip_addresses": ["10.20.2.21"], "mac_addresses": ["00:1a:4b:20:02:21"]}),
    ("win-pay-01", "windows_server", "desk", CI.Criticality.CRITICAL,
     {"manufacturer": "HPE", "model": "ProLiant DL360 Gen10", "cpu_cores": 8, "memory_gb": 32,
      "operating_system": "Windows Server 2019"},
     {"serial_number": "HP-CZ1980B3", "ip_addresses": ["10.20.3.31"], "mac_addresses": ["00:1a:4b:20:03:31"]}),
    ("web-cluster", "cluster", "apps", CI.Criticality.HIGH, {}, {"ip_addresses": ["10.20.1.10"]}),
    ("core-sw-01", "network_device", "network", CI.Criticality.CRITICAL,
     {"manufacturer": "Cisco", "model": "Catalyst 9500", "device_role": "core", "firmware": "IOS-XE 17.9"},
     {"serial_number": "FCW2245L0AB", "ip_addresses": ["10.0.0.1"], "mac_addresses": ["00:1b:54:00:00:01"]}),
    ("dist-sw-01", "network_device", "network", CI.Criticality.HIGH,
     {"manufacturer": "Cisco", "model": "Catalyst 9300", "device_role": "distribution", "firmware": "IOS-XE 17.9"},
     {"serial_number": "FCW2245L0CD", "ip_addresses": ["10.0.1.1"], "mac_addresses": ["00:1b:54:00:01:01"]}),
    ("fw-01", "network_device", "network", CI.Criticality.CRITICAL,
     {"manufacturer": "Palo Alto Networks", "model": "PA-3220", "device_role": "firewall", "firmware": "PAN-OS 11.1"},
     {"serial_number": "PA-0119000042", "ip_addresses": ["10.0.0.254"], "mac_addresses": ["00:1b:17:00:00:fe"]}),
]
HOSTS = {"lnx-web-01", "lnx-web-02", "lnx-db-01", "win-pay-01", "core-sw-01", "dist-sw-01", "fw-01"}

# (source, relationship type key, target)
RELATIONSHIPS = [
    ("Online Sales", "depends_on", "Web Shop"),
    ("Online Sales", "depends_on", "Payment Gateway"),
    ("Web Shop", "depends_on", "ShopFront"),
    ("Payment Gateway", "depends_on", "Payments API"),
    ("ShopFront", "depends_on", "shop-db"),
    ("ShopFront", "runs_on", "web-cluster"),
    ("lnx-web-01", "member_of", "web-cluster"),
    ("lnx-web-02", "member_of", "web-cluster"),
    ("shop-db", "runs_on", "lnx-db-01"),
    ("Payments API", "runs_on", "lnx-web-02"),
    ("Payroll", "depends_on", "Payroll Portal"),
    ("Payroll Portal", "depends_on", "PayrollPro"),
    ("PayrollPro", "depends_on", "payroll-db"),
    ("payroll-db", "runs_on", "win-pay-01"),
    ("PayrollPro", "runs_on", "win-pay-01"),
    ("lnx-web-01", "connects_to", "dist-sw-01"),
    ("lnx-web-02", "connects_to", "dist-sw-01"),
    ("lnx-db-01", "connects_to", "dist-sw-01"),
    ("win-pay-01", "connects_to", "dist-sw-01"),
    ("dist-sw-01", "connects_to", "core-sw-01"),
    ("fw-01", "connects_to", "core-sw-01"),
]
LAPTOPS = [("Lenovo", "ThinkPad T14 Gen 4"), ("Dell", "Latitude 7440"), ("Apple", "MacBook Air 13")]


def populate(*, by, slug: str, groups: dict, people, now=None) -> bool:
    """Build the estate in the current tenant; False (and nothing written) when it is there already.

    ``by``: the agent recording it; ``groups``: assignment groups by name (the demo's three);
    ``people``: whoever gets a laptop, LT-0001 onwards, in this order.
    """
    if CI.objects.filter(name="Online Sales", ci_class__key="business_service").exists():
        return False
    now = now or timezone.now()
    classes = {c.key: c for c in CIClass.objects.all()}
    types = {t.key: t for t in RelationshipType.objects.all()}
    cis = {}
    for index, (name, class_key, support, criticality, attributes, identifiers) in enumerate(ESTATE):
        fields = dict(identifiers)
        if name in HOSTS:
            fields["fqdn"] = f"{name}.{slug}.example"
        seen = now - (timedelta(days=STALE_DAYS) if name == "win-pay-01" else timedelta(hours=2 + index))
        cis[name] = services.create_ci(
            by=by, source=SOURCE, seen_at=seen, name=name, ci_class=classes[class_key], criticality=criticality,
            support_group=groups.get(SUPPORT[support]), owner_group=groups.get(SUPPORT[support]),
            attributes={key: value.format(slug=slug) if isinstance(value, str) else value
                        for key, value in attributes.items()},
            **fields)
    for source, type_key, target in RELATIONSHIPS:
        services.add_relationship(by=by, type=types[type_key], source=cis[source], target=cis[target],
                                  discovered_by=SOURCE)
    for number, person in enumerate(people, start=1):
        manufacturer, model = LAPTOPS[number % len(LAPTOPS)]
        services.create_ci(
            by=by, source=SOURCE, seen_at=now - timedelta(hours=number), name=f"LT-{number:04d}",
            ci_class=classes["end_user_device"], criticality=CI.Criticality.LOW, owner_user=person,
            support_group=groups.get(SUPPORT["desk"]), serial_number=f"{slug.upper()}-LT-{number:04d}",
            fqdn=f"lt-{number:04d}.{slug}.example", description=f"{person.get_full_name() or person.email}'s laptop",
            attributes={"device_type": "laptop", "manufacturer": manufacturer, "model": model})
    return True
