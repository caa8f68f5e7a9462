import logging
import time

from django.conf import settings
from django.db import connection

from itsm.logging import log_context

request_logger = logging.getLogger("itsm.request")


class RequestLogMiddleware:
    """One JSON log line per request with tenant, user, status and duration."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        started = time.perf_counter()
        token = log_context.set({})
        try:
            response = self.get_response(request)
        finally:
            log_context.reset(token)
        user = getattr(request, "user", None)
        request_logger.info(
            "request",
            extra={
                "tenant": getattr(connection, "schema_name", None),
                "user": getattr(user, "email", None) if user is not None and user.is_authenticated else None,
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": round((time.perf_counter() - started) * 1000, 2),
            },
        )
        return response


class ContentSecurityPolicyMiddleware:
    """Send the content security policy on every HTML response (no inline scripts)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.path.startswith("/api/docs"):
            # Swagger UI is served from our own static files but needs inline bootstrapping.
            response.headers.setdefault(
                "Content-Security-Policy",
                settings.CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")
                .replace("style-src 'self'", "style-src 'self' 'unsafe-inline'"),
            )
        else:
            response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        return response
