def branding(request):
    """Tenant branding for the base layouts (CSS variables, product name, logo)."""
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        return {
            "brand": {
                "product_name": "MSP Console",
                "primary_color": "#263238",
                "accent_color": "#00897b",
                "logo_url": None,
                "support_email": "",
            }
        }
    return {
        "brand": {
            "product_name": tenant.display_product_name,
            "primary_color": tenant.primary_color,
            "accent_color": tenant.accent_color,
            "logo_url": "/branding/logo" if tenant.logo else None,
            "support_email": tenant.support_email,
            "tenant_name": tenant.name,
        }
    }
