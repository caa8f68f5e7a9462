"""Domain errors raised by services in every app (tenants, people, calendars, tickets).

The API (core.api.errors) and the UI (core.forms) map them in one place each. The base keeps
its historical name, ``TicketError``, although tenant and account services raise it too.
"""


class TicketError(Exception):
    """Base for refusals with a human message and optional field errors."""

    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: dict[str, list[str]] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidTransition(TicketError):
    status_code = 409
    code = "invalid_transition"


class ValidationFailed(TicketError):
    status_code = 400
    code = "invalid"


class StaleVersion(TicketError):
    status_code = 412
    code = "stale_version"


class NotPermitted(TicketError):
    status_code = 403
    code = "permission_denied"


class AttachmentRejected(TicketError):
    status_code = 400
    code = "attachment_rejected"
