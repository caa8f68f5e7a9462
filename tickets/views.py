"""Attachment download, checked against the ticket it belongs to."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from accounts.access import tenant_only
from tickets.attachments import can_download, download_response
from tickets.models import Attachment
from tickets.queries import ticket_of


@require_GET
@tenant_only
@login_required
def download_attachment(request, pk: int):
    # The row is looked up in the current tenant's schema only: another tenant's id is simply not there.
    attachment = get_object_or_404(Attachment, pk=pk)
    ticket = ticket_of(attachment)
    if ticket is None:
        raise Http404("No such attachment.")
    if not ticket.is_visible_to(request.user):
        raise Http404("No such attachment.")
    if not can_download(request.user, attachment, ticket):
        raise PermissionDenied("This attachment is internal to the service desk.")
    return download_response(attachment)
