"""The classes and relationship types every tenant starts with (written by migration 0002, marked built-in).

Tenant admins add their own classes (under any of these) and attributes in the desk settings; built-in
rows can be extended, not deleted, so imports and the API can rely on their keys.
"""

# (key, name, parent key, is business service, attributes: (name, label, type, extra))
CLASSES = [
    ("hardware", "Hardware", None, False, [
        ("manufacturer", "Manufacturer", "string", {}),
        ("model", "Model", "string", {}),
    ]),
    ("server", "Server", "hardware", False, [
        ("cpu_cores", "CPU cores", "integer", {}),
        ("memory_gb", "Memory (GB)", "decimal", {}),
        ("operating_system", "Operating system", "string", {}),
    ]),
    ("linux_server", "Linux Server", "server", False, [
        ("distribution", "Distribution", "string", {}),
        ("kernel", "Kernel", "string", {}),
    ]),
    ("windows_server", "Windows Server", "server", False, []),
    ("network_device", "Network Device", "hardware", False, [
        ("device_role", "Role", "choice", {"choices": ["core", "distribution", "access", "firewall", "load balancer", "wireless"]}),
        ("firmware", "Firmware", "string", {}),
    ]),
    ("end_user_device", "End-user Device", "hardware", False, [
        ("device_type", "Device type", "choice", {"choices": ["laptop", "desktop", "tablet", "phone"]}),
    ]),
    ("application", "Application", None, False, [
        ("vendor", "Vendor", "string", {}),
        ("version", "Version", "string", {}),
    ]),
    ("database", "Database", None, False, [
        ("engine", "Engine", "choice", {"choices": ["PostgreSQL", "MySQL", "SQL Server", "Oracle", "MongoDB", "Other"]}),
        ("engine_version", "Engine version", "string", {}),
    ]),
    ("business_service", "Business Service", None, True, [
        ("service_hours", "Service hours", "string", {}),
    ]),
    ("application_service", "Application Service", None, False, [
        ("url", "URL", "string", {}),
    ]),
    ("cloud_resource", "Cloud Resource", None, False, [
        ("provider", "Provider", "choice", {"choices": ["AWS", "Azure", "Google Cloud", "Other"]}),
        ("region", "Region", "string", {}),
    ]),
    ("cluster", "Cluster", None, False, []),
]

# (key, name, reverse name, impact, allows cycles, source class keys, target class keys)
RELATIONSHIP_TYPES = [
    ("depends_on", "Depends on", "Used by", "to_source", False, [], []),
    ("runs_on", "Runs on", "Hosts", "to_source", False,
     ["application", "database", "application_service", "server", "cloud_resource"],
     ["server", "cloud_resource", "cluster"]),
    ("connects_to", "Connects to", "Connected from", "to_source", True, [], ["network_device"]),
    ("member_of", "Member of cluster", "Has member", "to_target", False, [], ["cluster"]),
    ("contains", "Contains", "Contained in", "to_target", False, [], []),
]
