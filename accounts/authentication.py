from rest_framework import authentication, exceptions

from accounts.services import authenticate_token


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` or ``Bearer <key>``, looked up in the current tenant's schema only."""

    keywords = ("token", "bearer")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0].lower() not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Invalid Authorization header: expected '<Token|Bearer> <key>'.")
        tenant = getattr(request._request, "tenant", None)
        if tenant is None or tenant.is_public:
            raise exceptions.AuthenticationFailed("API tokens are valid only on a tenant's host.")
        user = authenticate_token(header[1])
        if user is None:
            raise exceptions.AuthenticationFailed("Invalid or revoked API token.")
        return user, None

    def authenticate_header(self, request):
        return "Token"
