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


def _luminance(hex_colour: str) -> float:
    """WCAG 2 relative luminance of "#rrggbb"."""
    channels = [int(hex_colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


DARK_INK, LIGHT_INK = "#1c2430", "#ffffff"


def ink_for(background: str) -> str:
    """The text colour that reads better on ``background``: the page's dark text or white.

    A tenant may pick any brand colour; white on a light orange is 2.7:1, so the text on brand
    colours is chosen by contrast (WCAG 1.4.3) instead of being white whatever the colour.
    """
    lum = _luminance(background)
    on_white = (1.05) / (lum + 0.05)
    on_dark = (lum + 0.05) / (_luminance(DARK_INK) + 0.05)
    return LIGHT_INK if on_white >= on_dark else DARK_INK


@require_GET
def theme_css(request):
    brand = branding(request)["brand"]
    primary, accent = _colour(brand, "primary_color"), _colour(brand, "accent_color")
    css = (
        ":root{"
        f"--brand-primary:{primary};--brand-primary-ink:{ink_for(primary)};"
        f"--brand-accent:{accent};--brand-accent-ink:{ink_for(accent)};"
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
