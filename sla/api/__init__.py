"""The SLA REST API, under /api/v1/sla/."""
