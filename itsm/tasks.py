from celery import shared_task

from itsm import heartbeat


@shared_task(ignore_result=True)
def beat_heartbeat() -> None:
    heartbeat.beat()
