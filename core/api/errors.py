"""The API's one error format, for DRF errors and domain refusals alike.

Every error body is ``{"detail": str, "code": str, "fields": {name: [message, ...]}}``
with the status the error carries (400 invalid, 401, 403, 404, 409 invalid
transition, 412 stale version, ...). Clients branch on ``code`` and show
``detail``; forms map ``fields`` onto their inputs.
"""

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404
from drf_spectacular.utils import OpenApiResponse
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import set_rollback

from core.exceptions import TicketError

# DRF's JSONParser prefixes its message with this; we reword it for people.
_JSON_PARSE_PREFIX = "JSON parse error - "


class ErrorSerializer(serializers.Serializer):
    """Documents the error body in the OpenAPI schema."""

    detail = serializers.CharField(help_text="A human-readable message.")
    code = serializers.CharField(help_text="A stable machine-readable code, e.g. invalid, not_found, "
                                           "invalid_transition, stale_version, permission_denied.")
    fields = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Messages per input field (dotted paths for nested input); empty when the error is not about a field.",
    )


# The documented error responses every view names (drf-spectacular's ``responses=``): one definition.
ERROR = OpenApiResponse(ErrorSerializer)
READ_ERRORS = {401: ERROR, 403: ERROR}
WRITE_ERRORS = {400: ERROR, 401: ERROR, 403: ERROR}


class UnknownFields(exceptions.ValidationError):
    """Input named fields the endpoint does not accept: refused, never silently ignored."""

    def __init__(self, names, message: str = "Unknown field."):
        names = sorted(names)
        self.summary = f"Unknown field{'s' if len(names) > 1 else ''}: {', '.join(names)}."
        super().__init__({name: [message] for name in names}, code="unknown_field")


def error_body(detail: str, code: str, fields: dict | None = None) -> dict:
    return {"detail": detail, "code": code, "fields": fields or {}}


def _flatten(detail, prefix: str = "") -> dict[str, list[str]]:
    """DRF's nested error detail as {"field" or "field.sub" or "items.0.field": [messages]}."""
    fields: dict[str, list[str]] = {}
    if isinstance(detail, dict):
        for key, value in detail.items():
            fields.update(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(detail, list) and any(isinstance(item, (dict, list)) for item in detail):
        for index, item in enumerate(detail):
            fields.update(_flatten(item, f"{prefix}.{index}" if prefix else str(index)))
    elif isinstance(detail, list):
        fields[prefix or "non_field_errors"] = [str(item) for item in detail]
    else:
        fields[prefix or "non_field_errors"] = [str(detail)]
    return fields


def _validation_body(exc: exceptions.ValidationError) -> dict:
    fields = _flatten(exc.detail)
    general = fields.pop("non_field_errors", [])
    summary = getattr(exc, "summary", None)
    if summary:
        detail = summary
    elif general:
        detail = " ".join(general)
    elif fields:
        detail = f"Invalid input: check {', '.join(fields)}."
    else:
        detail = "Invalid input."
    if general and fields:
        fields["non_field_errors"] = general
    return error_body(detail, "invalid", fields)


def _simple_code(exc: exceptions.APIException) -> str:
    codes = exc.get_codes()
    return codes if isinstance(codes, str) else exc.default_code


def exception_handler(exc, context):
    """DRF's EXCEPTION_HANDLER: map every known error to the one body; unknown ones stay 500s."""
    if isinstance(exc, TicketError):
        set_rollback()
        return Response(error_body(exc.message, exc.code, exc.fields), status=exc.status_code)
    if isinstance(exc, Http404):
        exc = exceptions.NotFound(str(exc) or None)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    if not isinstance(exc, exceptions.APIException):
        return None

    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None):
        headers["Retry-After"] = str(int(exc.wait))

    if isinstance(exc, exceptions.ValidationError):
        body = _validation_body(exc)
    elif isinstance(exc, exceptions.ParseError) and str(exc.detail).startswith(_JSON_PARSE_PREFIX):
        reason = str(exc.detail)[len(_JSON_PARSE_PREFIX):]
        body = error_body(f"The request body is not valid JSON: {reason}.", "parse_error")
    elif isinstance(exc.detail, (dict, list)):
        body = error_body("Invalid request.", _simple_code(exc), _flatten(exc.detail))
    else:
        body = error_body(str(exc.detail), _simple_code(exc))
    set_rollback()
    return Response(body, status=exc.status_code, headers=headers)
