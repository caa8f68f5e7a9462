"""API shapes of CMDB imports: the job (status, counts, progress), its rejections, the two ways to start one."""

from rest_framework import serializers

from cmdb.models import ImportJob, ImportRejection
from core.api.strict import StrictInputMixin


class ImportJobSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField(help_text="Processed rows out of the total, 0-100.")
    created_by = serializers.SerializerMethodField()

    class Meta:
        model = ImportJob
        fields = ["id", "source", "format", "filename", "status", "total_rows", "processed_rows", "progress",
                  "inserted", "updated", "unchanged", "rejected", "error", "created_by", "created_at", "started_at",
                  "finished_at"]
        read_only_fields = fields

    def get_progress(self, job) -> int:
        return 100 if job.status == ImportJob.Status.DONE else (
            min(100, job.processed_rows * 100 // job.total_rows) if job.total_rows else 0)

    def get_created_by(self, job) -> dict | None:
        return {"id": job.created_by_id, "name": str(job.created_by)} if job.created_by_id else None


class ImportRejectionSerializer(serializers.ModelSerializer):
    errors = serializers.DictField(child=serializers.ListField(child=serializers.CharField()),
                                   help_text="Messages per field (`attributes.<name>` for an attribute, `row`, "
                                             "`identifiers`).")
    data = serializers.DictField(help_text="The row as given.")

    class Meta:
        model = ImportRejection
        fields = ["id", "row_number", "errors", "data"]
        read_only_fields = fields


class ImportUploadSerializer(StrictInputMixin, serializers.Serializer):
    file = serializers.FileField(help_text="A CSV (UTF-8, header with class and name) or a JSON array of objects.")
    source = serializers.CharField(max_length=60, help_text="The discovery source the rows come from.")
    format = serializers.ChoiceField(choices=ImportJob.Format.choices, required=False, allow_blank=True,
                                     help_text="Default: from the file name's extension.")


class ImportRowsSerializer(StrictInputMixin, serializers.Serializer):
    source = serializers.CharField(max_length=60, help_text="The discovery source the rows come from.")
    rows = serializers.ListField(child=serializers.JSONField(), allow_empty=False,
                                 help_text="Objects with the CSV's keys; `attributes` as an object.")
