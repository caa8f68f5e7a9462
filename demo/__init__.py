"""All demo data, on the top floor: `manage.py seed_demo` (data.py, sla.py) and the bulk seeding of
``seed_demo --incidents N`` (seeding.py, scenarios.py, indexes.py), which bench/ reuses.

It may import any app; no app imports it.
"""
