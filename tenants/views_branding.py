"""Per-tenant branding assets: the logo file and a tiny stylesheet carrying the brand colours.

The colours reach the page as CSS variables through a stylesheet, not an
inline <style>, because the content security policy allows 'self' styles only.
"""

import mimetypes
import re

from django.http import FileResponse, Http404, HttpResponse
from django.views.decorators.http import require_GET

from tenants.context_processors import branding

_HEX = re.compile(r"^#[0-9a-fA-F]{6}$")
_DEFAULTS = {"primary_color": "#1f4e8c", "accent_color": "#e8833a"}


def _colour(brand: dict, name: str) -> str:
    value = brand.get(name) or ""
    return value if _HEX.match(value) else _DEFAULTS[name]


@require_GET
def theme_css(request):
    brand = branding(request)["brand"]
    css = (
        ":root{"
        f"--brand-primary:{_colour(brand, 'primary_color')};"
        f"--brand-accent:{_colour(brand, 'accent_color')};"
        "}\n"
    )
    response = HttpResponse(css, content_type="text/css; charset=utf-8")
    response["Cache-Control"] = "public, max-age=86400" if request.GET.get("v") else "no-cache"
    return response


@require_GET
def logo(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public or not tenant.logo:
        raise Http404("No logo.")
    try:
        handle = tenant.logo.open("rb")
    except FileNotFoundError:
        raise Http404("No logo.")
    content_type = mimetypes.guess_type(tenant.logo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "public, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    # An uploaded SVG must never run script in our origin.
    response["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
    return response
