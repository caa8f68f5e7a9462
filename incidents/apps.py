from django.apps import AppConfig


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = "Incident management"

    def ready(self):
        from incidents.ticket_type import INCIDENT_TYPE
        from tickets import types

        types.register(INCIDENT_TYPE)
