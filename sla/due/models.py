"""One row per running SLA clock in any tenant, in the public schema.

The scanner's tick reads this table alone to find due work: its cost follows the
number of clocks due, not the number of tenants or open tickets. Rows are written
in the same transaction as the tenant's clock (PostgreSQL lets one transaction
span schemas), so the index never disagrees with the clocks it points at.
"""

from django.db import models


class DueClock(models.Model):
    schema_name = models.CharField(max_length=63)
    clock_id = models.BigIntegerField()
    due_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schema_name", "clock_id"], name="sla_due_unique_clock")]
        indexes = [models.Index(fields=["due_at"], name="sla_due_at_idx")]

    def __str__(self):
        return f"{self.schema_name}:{self.clock_id} due {self.due_at:%Y-%m-%d %H:%M:%S}"


class PendingMail(models.Model):
    """An escalation mail committed but not yet sent (an outbox), in the public schema.

    Written in the firing's transaction; the mail task deletes it when it stamps the firing.
    If the task is lost (a worker dies between commit and enqueue), the tick re-sends it at
    ``due_at`` — so escalation mail is never silently dropped.
    """

    schema_name = models.CharField(max_length=63)
    firing_id = models.BigIntegerField()
    due_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schema_name", "firing_id"], name="sla_mail_unique_firing")]
        indexes = [models.Index(fields=["due_at"], name="sla_mail_due_idx")]

    def __str__(self):
        return f"mail for {self.schema_name}:{self.firing_id} if unsent by {self.due_at:%Y-%m-%d %H:%M:%S}"
