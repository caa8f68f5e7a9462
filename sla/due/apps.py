from django.apps import AppConfig


class DueConfig(AppConfig):
    """The public-schema index of running SLA clocks' next due moments, across all tenants."""

    name = "sla.due"
    label = "sla_due"
    verbose_name = "SLA due index"
