"""View decorators for who may open which surface."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404


def tenant_only(view):
    """Pages that exist on a tenant's host only (the public host is the MSP console)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        tenant = getattr(request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise Http404("Not on this host.")
        return view(request, *args, **kwargs)

    return wrapper


def agent_required(view):
    """The agent desk: agents and tenant admins; requesters get 403."""

    @wraps(view)
    @login_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_agent:
            raise PermissionDenied("The agent desk is for the service desk team. Use the portal to report an issue.")
        return view(request, *args, **kwargs)

    return tenant_only(wrapper)


def portal_user_required(view):
    """The portal: any signed-in person of the tenant (agents may look at it too)."""
    return tenant_only(login_required(view))


def admin_required(view):
    """Settings pages: tenant admins only; agents get 403."""

    @wraps(view)
    @agent_required
    def wrapper(request, *args, **kwargs):
        if not request.user.is_tenant_admin:
            raise PermissionDenied("Settings are for tenant admins.")
        return view(request, *args, **kwargs)

    return wrapper
