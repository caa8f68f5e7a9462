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
