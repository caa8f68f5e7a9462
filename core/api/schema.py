"""The served OpenAPI document states the whole contract, not only the happy path.

A drf-spectacular postprocessing hook (registered on the schema view in ``itsm.api_urls``)
adds, in one place, what every operation's declaration would otherwise have to repeat:

- every error status the shared machinery can answer, with the one error body: 401 and 403
  for any authenticated call (bad token, role, suspended tenant), 400 for anything with input,
  404 for anything addressed by a path parameter or a cursor, 412 with ``If-Match``, 415 for a
  body in a media type the endpoint does not parse;
- ``additionalProperties: false`` on request bodies: every input serializer refuses unknown
  fields (``StrictInputMixin``), so the schema says so.

``FilterParameters`` below is registered by importing this module (``core.api.views`` does).
"""

from __future__ import annotations

from django_filters import filters
from drf_spectacular.contrib.django_filters import DjangoFilterExtension

ERROR_REF = {"$ref": "#/components/schemas/Error"}

_ERROR_DESCRIPTIONS = {
    "400": "Invalid input; `fields` names what is wrong.",
    "401": "No credentials, or a token that is unknown, revoked or malformed.",
    "403": "Authenticated, but not allowed (role, or the tenant is suspended).",
    "404": "Not found, or not visible to the caller (or an unknown pagination cursor).",
    "412": "If-Match did not match the current ETag: nothing was changed.",
    "415": "The body's media type is not one this endpoint accepts.",
}

_METHODS = ("get", "put", "post", "patch", "delete")


def _possible_errors(operation: dict) -> set[str]:
    parameters = operation.get("parameters", [])
    kinds = {parameter["in"] for parameter in parameters}
    names = {parameter["name"] for parameter in parameters}
    errors = set()
    if operation.get("security") and {} not in operation["security"]:
        errors |= {"401", "403"}
    if "requestBody" in operation:
        errors |= {"400", "415"}
    if kinds & {"query", "header"}:
        errors.add("400")
    if "path" in kinds or "cursor" in names:
        errors.add("404")
    if "If-Match" in names:
        errors.add("412")
    return errors


def document_contract(result, generator, request, public):
    """POSTPROCESSING_HOOKS entry: complete every operation's error responses; close request bodies."""
    for name, component in result.get("components", {}).get("schemas", {}).items():
        if name.endswith("Request") and component.get("type") == "object":
            component["additionalProperties"] = False
    for path_item in result.get("paths", {}).values():
        for method in _METHODS:
            operation = path_item.get(method)
            if operation is None:
                continue
            responses = operation.setdefault("responses", {})
            for status in sorted(_possible_errors(operation) - set(responses)):
                responses[status] = {"description": _ERROR_DESCRIPTIONS[status],
                                     "content": {"application/json": {"schema": ERROR_REF}}}
    return result


class FilterParameters(DjangoFilterExtension):
    """django-filter's parameters, saying that an empty value (``?opened_after=``) means "no filter".

    That is how django-filter reads it, and what the desk's filter forms send; lists (``state``)
    are the exception: an empty element is not a valid choice.
    """

    priority = 1  # over drf-spectacular's own extension for the same backend

    def resolve_filter_field(self, auto_schema, model, filterset_class, field_name, filter_field):
        parameters = super().resolve_filter_field(auto_schema, model, filterset_class, field_name, filter_field)
        if not isinstance(filter_field, (filters.MultipleChoiceFilter, filters.BaseInFilter)):
            for parameter in parameters:
                parameter["allowEmptyValue"] = True
        return parameters
