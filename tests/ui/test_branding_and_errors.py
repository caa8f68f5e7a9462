from django.core.files.base import ContentFile
from django.db import connection

from tenants import services as tenant_services


def test_theme_css_carries_tenant_colours(make_client, tenant):
    tenant_services.update_branding(tenant, primary_color="#123456", accent_color="#abcdef")
    response = make_client(tenant).get("/branding/theme.css?v=1")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/css")
    css = response.content.decode()
    assert "--brand-primary:#123456" in css and "--brand-accent:#abcdef" in css


def test_desk_links_theme_and_has_no_inline_styles_or_scripts(agent_client, incident):
    for path in ("/desk/incidents/", f"/desk/incidents/{incident.number}/", "/desk/incidents/new/", "/portal/",
                 "/profile/", "/profile/tokens/"):
        html = agent_client.get(path).content.decode()
        assert "/branding/theme.css?v=" in html, path
        assert "style=" not in html and "<style" not in html, path
        assert "onclick" not in html and "<script>" not in html, path


def test_product_name_in_header(agent_client, tenant):
    tenant_services.update_branding(tenant, product_name="Alpha Help Centre")
    assert "Alpha Help Centre" in agent_client.get("/desk/incidents/").content.decode()


def test_logo_404_without_logo_then_served(make_client, tenant, settings, tmp_path):
    client = make_client(tenant)
    assert client.get("/branding/logo").status_code == 404
    settings.MEDIA_ROOT = str(tmp_path)
    tenant.logo.save("logo.png", ContentFile(b"\x89PNG logo"), save=True)
    response = client.get("/branding/logo")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert "sandbox" in response["Content-Security-Policy"]
    html = make_client(tenant).get("/login/").content.decode()
    assert 'src="/branding/logo"' in html


def test_suspended_tenant_gets_suspended_page(make_client, tenant, agent):
    tenant_services.suspend_tenant(tenant, reason="unpaid")
    try:
        response = make_client(tenant, agent).get("/desk/incidents/")
        assert response.status_code == 403
        html = response.content.decode()
        assert "is suspended" in html and tenant.name in html
    finally:
        tenant_services.resume_tenant(tenant)
        connection.set_tenant(tenant)
