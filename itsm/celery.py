"""Celery application.

``tenant_schemas_celery.CeleryApp`` stamps the current schema into each task's
headers when it is sent and switches the worker's connection to that schema
before the task runs, so every task carries its tenant explicitly.
"""

import os

from tenant_schemas_celery.app import CeleryApp

from itsm import celery_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "itsm.settings")

app = CeleryApp("itsm")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# itsm is not an installed app, so its own tasks (the heartbeat) are imported by name.
app.conf.imports = ("itsm.tasks",)
celery_logging.connect()
