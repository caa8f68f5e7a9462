"""One JSON log line per Celery task run, with tenant, task name, state and duration.

While a task runs, every record it logs carries the task name, id and tenant
(through ``itsm.logging.log_context``), as requests do through RequestLogMiddleware.
"""

import logging
import time

from celery.signals import task_postrun, task_prerun
from tenant_schemas_celery.app import get_schema_name_from_task

task_logger = logging.getLogger("itsm.task")

_PUBLIC = "public"


def _tenant_of(task) -> str:
    # The schema travels in the task headers; tenant-schemas-celery switches to it in its own
    # prerun handler, whose order relative to ours is not guaranteed, so read the header.
    return get_schema_name_from_task(task, None) or _PUBLIC


def on_task_prerun(task_id=None, task=None, **_):
    from itsm.logging import log_context

    task.request._itsm_log = {
        "started": time.perf_counter(),
        "token": log_context.set(
            {**log_context.get(), "tenant": _tenant_of(task), "task": task.name, "task_id": task_id}
        ),
    }


def on_task_postrun(task_id=None, task=None, state=None, **_):
    from itsm.logging import log_context

    started = getattr(task.request, "_itsm_log", None)
    duration_ms = round((time.perf_counter() - started["started"]) * 1000, 2) if started else None
    task_logger.info(
        "task",
        extra={"tenant": _tenant_of(task), "task": task.name, "task_id": task_id, "state": state,
               "duration_ms": duration_ms},
    )
    if started:
        try:
            log_context.reset(started["token"])
        except ValueError:  # set in another context (eager tasks nested in a request)
            log_context.set({})


def connect() -> None:
    task_prerun.connect(on_task_prerun, dispatch_uid="itsm_task_log_prerun", weak=False)
    task_postrun.connect(on_task_postrun, dispatch_uid="itsm_task_log_postrun", weak=False)
