"""One row per approval stage with a reminder or a timeout ahead, in any tenant, in the public schema.

The approvals tick reads this table alone to find due work (as ``sla.due.DueClock`` does for
clocks), so its cost follows the stages coming due, not tenants or open approvals. Rows are
written in the same transaction as the tenant's stage.
"""

from django.db import models


class DueStage(models.Model):
    schema_name = models.CharField(max_length=63)
    stage_id = models.BigIntegerField()
    due_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schema_name", "stage_id"], name="approvals_due_unique_stage")]
        indexes = [models.Index(fields=["due_at"], name="approvals_due_at_idx")]

    def __str__(self):
        return f"{self.schema_name}:{self.stage_id} due {self.due_at:%Y-%m-%d %H:%M:%S}"


class PendingMail(models.Model):
    """Approval mail committed but not yet sent (an outbox), in the public schema.

    Written in the transaction that asks for the mail (a stage started, a reminder, an escalation);
    the mail task sends only while the row is there and deletes it in the transaction that sends,
    so a late task and the tick's re-send never both mail. If the task is lost (a worker dies
    between the commit and the enqueue), the tick enqueues it again at ``due_at``.
    """

    schema_name = models.CharField(max_length=63)
    request_id = models.BigIntegerField()
    kind = models.CharField(max_length=20)
    due_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["schema_name", "request_id", "kind"],
                                               name="approvals_mail_unique_request_kind")]
        indexes = [models.Index(fields=["due_at"], name="approvals_mail_due_idx")]

    def __str__(self):
        return f"{self.kind} mail for {self.schema_name}:{self.request_id} if unsent by {self.due_at:%Y-%m-%d %H:%M:%S}"
