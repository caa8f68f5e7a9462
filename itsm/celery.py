"""Celery application.

``tenant_schemas_celery.CeleryApp`` stamps the current schema into each task's
headers when it is sent and switches the worker's connection to that schema
before the task runs, so every task carries its tenant explicitly.
"""

import os

from tenant_schemas_celery.app import CeleryApp

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

app = CeleryApp("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
