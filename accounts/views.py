from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from accounts import services
from accounts.access import tenant_only
from accounts.forms import ApiTokenForm, RateLimitedLoginForm, TimeZoneForm
from accounts.models import ApiToken
from core.exceptions import TicketError
from core.forms import add_service_errors


class LoginView(auth_views.LoginView):
    """Works on tenant hosts and on the MSP console's host; lands on "/" which routes by role."""

    form_class = RateLimitedLoginForm
    template_name = "registration/login.html"
    redirect_authenticated_user = True

    def get_success_url(self):
        target = self.get_redirect_url()
        if target and url_has_allowed_host_and_scheme(target, allowed_hosts={self.request.get_host()},
                                                      require_https=self.request.is_secure()):
            return target
        return "/"

    def form_invalid(self, form):
        response = super().form_invalid(form)
        if form.retry_after:
            # The same refusal as the API's: a status and a header that tools and proxies understand.
            response.status_code = 429
            response["Retry-After"] = str(form.retry_after)
        return response


class LogoutView(auth_views.LogoutView):
    http_method_names = ["post", "options"]


@tenant_only
def home(request):
    """Tenant host root: agents to the desk, everyone else to the portal."""
    if not request.user.is_authenticated:
        return redirect("login")
    return redirect("desk:index" if request.user.is_agent else "portal:home")


def _layout(user) -> str:
    return "base_desk.html" if user.is_agent else "base_portal.html"


@tenant_only
@login_required
def profile(request):
    if request.method == "POST":
        form = TimeZoneForm(request.POST)
        if form.is_valid():
            try:
                services.set_time_zone(user=request.user, time_zone=form.cleaned_data["time_zone"])
            except TicketError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(request, "Your time zone was saved.")
                return redirect("profile")
    else:
        form = TimeZoneForm(initial={"time_zone": request.user.time_zone})
    return render(request, "accounts/profile.html", {"form": form, "layout": _layout(request.user)},
                  status=400 if form.errors else 200)


# The new key waits in the session between the POST and its redirect, and is shown once.
NEW_KEY_SESSION_KEY = "accounts:new_api_key"


@tenant_only
@login_required
def api_tokens(request):
    if request.method == "POST":
        form = ApiTokenForm(request.POST)
        if form.is_valid():
            _, key = services.create_api_token(user=request.user, name=form.cleaned_data["name"])
            request.session[NEW_KEY_SESSION_KEY] = key
            # Post/redirect/get: reloading the page shows the tokens, it does not create another.
            return redirect("api_tokens")
    else:
        form = ApiTokenForm()
    new_key = request.session.pop(NEW_KEY_SESSION_KEY, None) if request.method == "GET" else None
    tokens = ApiToken.objects.filter(user=request.user).order_by("revoked_at", "-created_at")
    response = render(request, "accounts/api_tokens.html",
                      {"form": form, "tokens": tokens, "new_key": new_key, "layout": _layout(request.user)},
                      status=400 if form.errors else 200)
    if new_key:
        response["Cache-Control"] = "no-store"
    return response


@tenant_only
@login_required
@require_POST
def revoke_api_token(request, pk: int):
    token = get_object_or_404(ApiToken, pk=pk, user=request.user)
    services.revoke_api_token(token=token)
    messages.success(request, f"Token “{token.name}” was revoked; it no longer works.")
    return HttpResponseRedirect(reverse("api_tokens"))
