"""/api/v1/cmdb/imports/: start an import (a file, or rows in JSON), poll its job, page through its rejections."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response

from cmdb import import_files, imports, queries
from cmdb.api.serializers_imports import (
    ImportJobSerializer,
    ImportRejectionSerializer,
    ImportRowsSerializer,
    ImportUploadSerializer,
)
from cmdb.models import ImportJob
from core.api.errors import ERROR
from core.api.pagination import NewestFirstPagination, OldestFirstPagination
from core.api.views import ApiViewMixin



class AgentsOnly(BasePermission):
    message = "CMDB imports are for agents."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and request.user.is_agent)


class RowOrder(OldestFirstPagination):
    ordering = ("row_number", "id")


@extend_schema_view(
    list=extend_schema(summary="Past CMDB imports, newest first",
                       responses={200: ImportJobSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR}),
    retrieve=extend_schema(summary="An import job: status, counts and progress (poll it while queued or running)",
                           responses={200: ImportJobSerializer, 401: ERROR, 403: ERROR, 404: ERROR}),
)
class ImportJobViewSet(ApiViewMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """CMDB imports of this tenant, for agents: start one (a file or JSON rows), poll it, read its rejections."""

    serializer_class = ImportJobSerializer
    permission_classes = [IsAuthenticated, AgentsOnly]
    pagination_class = NewestFirstPagination
    parser_classes = [JSONParser, MultiPartParser]
    filter_backends = []
    queryset = ImportJob.objects.none()

    def get_queryset(self):
        return queries.import_jobs()

    @extend_schema(
        summary="Start a CMDB import (202: the job runs in the background)",
        description="Either `multipart/form-data` with `file`, `source` and optionally `format`, or a JSON body "
                    "`{\"source\", \"rows\": [...]}` for integrators. The file is checked whole first (size, "
                    "encoding, columns, row count): a bad file is a 400 with a `file` field error and no job. "
                    "Rows are then reconciled by the tenant's identification rules; poll the job for progress. "
                    "A JSON body is bounded by the server's request size (DATA_UPLOAD_MAX_MEMORY_SIZE, about "
                    "11 MB by default); send larger sets as a file (CMDB_IMPORT_MAX_BYTES, 50 MB by default).",
        request={"multipart/form-data": ImportUploadSerializer, "application/json": ImportRowsSerializer},
        responses={202: ImportJobSerializer, 400: ERROR, 401: ERROR, 403: ERROR, 415: ERROR},
    )
    def create(self, request):
        if request.content_type.startswith("multipart/"):
            # The declared body size is checked before the body is parsed: an oversized upload is never read.
            import_files.check_size(int(request.META.get("CONTENT_LENGTH") or 0), slack=import_files.FORM_SLACK)
            serializer = ImportUploadSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            upload = serializer.validated_data["file"]
            job = imports.start_import(by=request.user, source=serializer.validated_data["source"],
                                       format=serializer.validated_data.get("format", ""), filename=upload.name,
                                       fileobj=upload)
        else:
            serializer = ImportRowsSerializer(data=request.data)
            serializer.is_valid(raise_exception=True)
            job = imports.start_rows_import(by=request.user, **serializer.validated_data)
        return Response(ImportJobSerializer(job).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(summary="The rows an import rejected, with the reasons, in row order",
                   responses={200: ImportRejectionSerializer(many=True), 400: ERROR, 401: ERROR, 403: ERROR,
                              404: ERROR})
    @action(detail=True, methods=["get"], pagination_class=RowOrder)
    def rejections(self, request, pk=None):
        job = self.get_object()
        page = self.paginate_queryset(job.rejections.all())
        return self.get_paginated_response(ImportRejectionSerializer(page, many=True).data)


