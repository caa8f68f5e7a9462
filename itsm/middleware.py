import logging
import re
import time
import uuid

from django.conf import settings

from itsm.logging import log_context

request_logger = logging.getLogger("itsm.request")
logger = logging.getLogger(__name__)

# A caller-supplied request id is kept only if it is short and harmless in a log line.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestLogMiddleware:
    """One JSON log line per request with tenant, user, method, path, status and duration.

    Every other record logged while the request runs carries the same request id
    (and, through TenantContextFilter, the tenant), so one request's lines can be grouped.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        supplied = request.headers.get("X-Request-ID", "")
        request_id = supplied if _REQUEST_ID.match(supplied) else uuid.uuid4().hex
        token = log_context.set({"request_id": request_id})
        try:
            response = self.get_response(request)
            response.headers.setdefault("X-Request-ID", request_id)
            tenant = getattr(request, "tenant", None)
            user = getattr(request, "user", None)
            request_logger.info(
                "request",
                extra={
                    "tenant": getattr(tenant, "schema_name", None),
                    "user": user.email if user is not None and user.is_authenticated else None,
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                },
            )
        finally:
            log_context.reset(token)
        return response


class ContentSecurityPolicyMiddleware:
    """Send the content security policy on every HTML response (no inline scripts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            # Swagger UI (sidecar files, split bootstrap script) sets element styles at run time;
            # scripts stay 'self'-only.
            response.headers.setdefault(
                "Content-Security-Policy",
                settings.CONTENT_SECURITY_POLICY.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
            )
        else:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response


class HealthCheckMiddleware:
    """Answer /healthz before tenant resolution and host checks.

    Load balancers and container probes call it by IP or an internal name, and it
    must answer 503 (not a 500 from the tenant lookup) when the database is down.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path_info == "/healthz":
            from itsm.health import healthz

            return healthz(request)
        return self.get_response(request)


class DatabaseSaturationMiddleware:
    """Answer 503 with Retry-After when no pooled database connection frees up in time.

    Every request needs the database (the tenant comes from the host), so the connection is
    taken here, before anything else can turn a pool timeout into a 500 (or, with DEBUG on,
    a traceback page). A database that is down is not this middleware's business: /healthz
    reports it, and other requests fail as they would without a pool.
    """

    RETRY_AFTER_SECONDS = 5

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.db import OperationalError, connection
        from psycopg_pool import PoolTimeout

        if settings.DB_POOL:
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                if not isinstance(exc.__cause__, PoolTimeout):
                    raise
                logger.warning("database pool exhausted", extra={"path": request.path})
                return _service_unavailable(request, self.RETRY_AFTER_SECONDS)
        return self.get_response(request)


def _service_unavailable(request, retry_after: int):
    message = "The service is busy right now. Please try again in a few seconds."
    if request.path_info.startswith("/api/"):
        from django.http import JsonResponse

        response = JsonResponse({"detail": message, "code": "service_unavailable", "fields": {}}, status=503)
    else:
        from django.http import HttpResponse

        response = HttpResponse(f"<!doctype html><title>Busy</title><h1>Busy</h1><p>{message}</p>",
                                status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(retry_after)
    return response
