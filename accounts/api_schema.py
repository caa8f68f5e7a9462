"""OpenAPI description of API token authentication (imported by accounts.api_views to register it)."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = ["tokenAuth", "bearerAuth"]

    def get_security_requirement(self, auto_schema):
        # Either header form works: alternatives (OR), not both at once.
        return [{"tokenAuth": []}, {"bearerAuth": []}]

    def get_security_definition(self, auto_schema):
        return [
            {"type": "apiKey", "in": "header", "name": "Authorization",
             "description": "`Token <key>`. Get a first key at POST /api/v1/auth/token/ (email and password), "
                            "more at POST /api/v1/tokens/, or with `manage.py api_token`."},
            {"type": "http", "scheme": "bearer", "description": "The same key as a bearer token."},
        ]
