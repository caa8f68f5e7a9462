"""A ticket type's REST endpoints, shared by incidents, problems, changes and requests.

A process app subclasses ``TicketViewSet``, names its model, serializers and
queries, and overrides the ``*_ticket`` hooks with its own service functions.
Everything else comes from here and from ``Model.workflow``: one
``actions/<name>/`` endpoint per declared transition (each with its own
documented body), the timeline, comments, attachments and links (tickets.api.links),
ETag/If-Match.

Tickets are addressed by number (``INC0001001``), never by database id.
"""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response

from core.api.conditional import tag_or_not_modified
from core.api.errors import ERROR
from core.api.pagination import NewestFirstPagination, OldestFirstPagination
from core.api.views import ApiViewMixin
from core.exceptions import NotPermitted
from tickets import extensions
from tickets import queries as ticket_queries
from tickets import types
from tickets import services as ticket_services
from tickets.api.links import TicketLinksMixin
from tickets.api.preconditions import IF_MATCH_PARAMETER, expected_version
from tickets.api.rows import compile_rows
from tickets.api.serializers import (
    AttachmentSerializer,
    AttachmentUploadSerializer,
    CommentInputSerializer,
    TimelineEntrySerializer,
    caller_role,
    transition_input_serializer,
)
from tickets.attachments import can_download, download_response
from tickets.workflow import AGENT

NUMBER_PARAMETER = OpenApiParameter(
    "number", OpenApiTypes.STR, OpenApiParameter.PATH,
    description="The ticket number, e.g. INC0001001 (case-insensitive). Database ids are not accepted.",
)
PAGE_ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200],
    description="A digest of this page as sent; send it back as If-None-Match to get 304 while the page is unchanged.",
)
ETAG_HEADER = OpenApiParameter(
    "ETag", OpenApiTypes.STR, OpenApiParameter.HEADER, response=[200, 201],
    description='The ticket\'s current version, e.g. "3"; send it back as If-Match to guard a write.',
)


class TicketViewSet(TicketLinksMixin, ApiViewMixin, viewsets.GenericViewSet):
    """Subclasses set the class attributes below and override the ``*_ticket`` hooks."""

    model = None  # a tickets.models.Ticket subclass with a workflow
    serializer_class = None  # output
    create_serializer_class = None
    update_serializer_class = None
    filterset_class = None
    pagination_class = NewestFirstPagination
    lookup_field = "number"
    lookup_value_regex = r"[A-Za-z0-9]+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]  # delete: links only

    # -- hooks: each ticket type plugs in its own queries and services ------------------------
    def list_queryset(self):
        return ticket_queries.for_api(self.ticket_type, self.request.user)

    def detail_queryset(self):
        return ticket_queries.for_api(self.ticket_type, self.request.user)

    # By default each hook calls the service the type registered (tickets.types.TicketType).
    @property
    def ticket_type(self):
        return types.for_model(self.model)

    def create_ticket(self, data: dict):
        return self.ticket_type.create(by=self.request.user, **data)

    def update_ticket(self, ticket, *, changes: dict, expected_version: int | None):
        return self.ticket_type.update(ticket, by=self.request.user, changes=changes, expected_version=expected_version)

    def transition_ticket(self, ticket, action_name: str, *, fields: dict, comment: str, expected_version: int | None,
                          **extras):
        return self.ticket_type.transition(ticket, action_name, by=self.request.user, fields=fields, comment=comment,
                                           expected_version=expected_version, **extras)

    def comment_on_ticket(self, ticket, *, body: str, is_public: bool):
        return self.ticket_type.comment(ticket, by=self.request.user, body=body, is_public=is_public, channel="api")

    def attach_to_ticket(self, ticket, *, upload, is_public: bool):
        return ticket_services.add_attachment(ticket, by=self.request.user, upload=upload, is_public=is_public)

    # -- plumbing ---------------------------------------------------------------------------
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if cls.model is not None and "model" in cls.__dict__:
            cls.queryset = cls.model._default_manager.none()
            ticket_type = types.for_model(cls.model)
            action_fields = ticket_type.action_fields if ticket_type is not None else {}
            cls.action_input_serializers = {t.name: transition_input_serializer(cls.model, t, action_fields.get(t.name))
                                            for t in cls.model.workflow.transitions}
            cls.detail_serializer_class = _detail_serializer(
                cls.serializer_class, extensions.api_fields(ticket_type) if ticket_type is not None else {})
            _document_crud(cls)
            for transition in cls.model.workflow.transitions:
                name = f"action_{transition.name}"
                setattr(cls, name, _transition_endpoint(cls, transition, name))

    @classmethod
    def get_extra_actions(cls):
        # The catch-all for unknown action names must come after every declared one.
        return sorted(super().get_extra_actions(), key=lambda view: view.__name__ == "unknown_action")

    def get_serializer_class(self):
        # The input of each write; responses always use ``serializer_class``.
        transition = self.model.workflow.by_name.get((self.action or "").removeprefix("action_"))
        if transition is not None:
            return self.action_input_serializers[transition.name]
        return {"create": self.create_serializer_class, "partial_update": self.update_serializer_class,
                "comments": CommentInputSerializer, "upload_attachment": AttachmentUploadSerializer,
                }.get(self.action, self.serializer_class)

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return self.model._default_manager.none()
        return self.list_queryset()

    def get_ticket(self):
        """The ticket named in the URL, if the caller may see it; 404 alike for missing and hidden."""
        number = self.kwargs[self.lookup_field].upper()
        ticket = self.detail_queryset().filter(number=number).first()
        if ticket is None:
            raise self.not_found(number)
        self.ticket = ticket
        return ticket

    def not_found(self, number: str) -> NotFound:
        return NotFound(f"No {self.model._meta.verbose_name} {number}.")

    def ticket_response(self, ticket, status_code=status.HTTP_200_OK, *, new: bool = False):
        """The full representation with its ETag; ``ticket`` comes from the detail query.

        ``new``: the ticket was just created, so no row of an extension points at it yet (its columns are None).
        """
        self.ticket = ticket
        context = self.get_serializer_context()
        data = self.serializer_class(ticket, context=context).data
        columns = dict.fromkeys(extensions.api_columns(self.ticket_type)) if new else None
        data.update(extensions.api_detail(self.ticket_type, ticket.pk, columns, context))
        response = Response(data, status=status_code)
        response["ETag"] = ticket.etag
        return response

    def created(self, ticket, data: dict):
        """The new ticket as the detail query would return it, without reading it back.

        The service returns the saved instance with the related objects it was given; a subclass whose
        ``detail_queryset`` adds annotations sets them here from ``data`` (the API battery checks that the
        201 body equals a GET of the same ticket, for every type).
        """
        return ticket

    def require_agent(self, message: str):
        if caller_role(self.request.user) != AGENT:
            raise NotPermitted(message)

    # -- endpoints ----------------------------------------------------------------------------
    def list(self, request):
        queryset = self.filter_queryset(self.get_queryset())
        # Value rows when the serializer compiles (every registered type's does; tickets.api.rows).
        rows = compile_rows(self.serializer_class, annotations=queryset.query.annotations)
        if rows is None:
            page = self.paginate_queryset(queryset)
            data = self.serializer_class(page, many=True, context=self.get_serializer_context()).data
        else:
            page = self.paginate_queryset(rows.values(queryset))
            data = rows.render(page, self.get_serializer_context())
        return tag_or_not_modified(request, self.get_paginated_response(data))

    def retrieve(self, request, number=None):
        """The detail, built like a list row (tickets.api.rows) when the serializer compiles: no model instances."""
        number = self.kwargs[self.lookup_field].upper()
        queryset = self.detail_queryset().filter(number=number)
        rows = compile_rows(self.serializer_class, annotations=queryset.query.annotations)
        # What extensions add (affected CIs ...): their columns come in the same query.
        added = extensions.api_columns(self.ticket_type)
        context = self.get_serializer_context()
        if rows is None or "version" not in rows.columns:
            ticket = self.get_ticket()
            etag = ticket.etag

            def build():
                data = self.serializer_class(ticket, context=context).data
                data.update(extensions.api_detail(self.ticket_type, ticket.pk, None, context))
                return data
        else:
            values = queryset.annotate(**added).values(*dict.fromkeys((*rows.columns, "id", *added)))
            found = list(values[:1])  # numbers are unique: no ORDER BY to compile
            if not found:
                raise self.not_found(number)
            etag = self.model.etag_of(found[0]["version"])

            def build():
                data = rows.render(found, context)[0]
                data.update(extensions.api_detail(self.ticket_type, found[0]["id"],
                                                  {name: found[0][name] for name in added}, context))
                return data
        if request.headers.get("If-None-Match") == etag:
            response = Response(status=status.HTTP_304_NOT_MODIFIED)
        else:
            response = Response(build())
        response["ETag"] = etag
        return response

    def create(self, request):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        ticket = self.create_ticket(serializer.validated_data)
        response = self.ticket_response(self.created(ticket, serializer.validated_data), status.HTTP_201_CREATED,
                                        new=True)
        # ``url`` is a DRF Hyperlink, a str subclass that strict WSGI servers refuse as a header value.
        response["Location"] = str(response.data["url"])
        return response

    def partial_update(self, request, number=None):
        self.require_agent("Only agents can edit ticket fields.")
        ticket = self.get_ticket()
        version = expected_version(request, ticket)
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        ticket = self.update_ticket(ticket, changes=dict(serializer.validated_data), expected_version=version)
        return self.ticket_response(self.detail_queryset().get(pk=ticket.pk))

    def take_action(self, request, transition):
        ticket = self.get_ticket()
        version = expected_version(request, ticket)
        role = ticket_services.role_for(request.user, ticket)
        if role not in transition.roles:
            raise NotPermitted(f"You are not allowed to {transition.label.lower()} this ticket.")
        # Refuse an impossible step (409) before complaining about its body (400).
        self.model.workflow.step(ticket.state, transition.name, role=role)
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields = dict(serializer.validated_data)
        comment = fields.pop("comment", "")
        extras = {name: fields.pop(name) for name in self.ticket_type.action_fields.get(transition.name, {})
                  if name in fields}
        ticket = self.transition_ticket(ticket, transition.name, fields=fields, comment=comment,
                                        expected_version=version, **extras)
        return self.ticket_response(self.detail_queryset().get(pk=ticket.pk))

    @extend_schema(exclude=True)
    @action(detail=True, methods=["post"], url_path=r"actions/(?P<action_name>[^/.]+)")
    def unknown_action(self, request, number=None, action_name=None):
        self.get_ticket()
        known = ", ".join(t.name for t in self.model.workflow.transitions)
        raise NotFound(f"Unknown action '{action_name}'. Known actions: {known}.")

    @extend_schema(
        summary="Timeline",
        description="The ticket's history, oldest first: replies, state changes, attachments and, for agents only, "
                    "work notes and field changes. Requesters get public entries only.",
        parameters=[NUMBER_PARAMETER],
        responses={200: TimelineEntrySerializer(many=True), 404: ERROR},
    )
    @action(detail=True, methods=["get"], pagination_class=OldestFirstPagination, filterset_class=None,
            filter_backends=[])
    def timeline(self, request, number=None):
        ticket = self.get_ticket()
        # Work notes, field changes and internal attachments never reach a requester.
        entries = ticket_queries.timeline(ticket, public_only=caller_role(request.user) != AGENT)
        page = self.paginate_queryset(entries)
        data = TimelineEntrySerializer(page, many=True, context=self.get_serializer_context()).data
        return self.get_paginated_response(data)

    @extend_schema(
        summary="Add a comment",
        description="A public reply (default) or, for agents, an internal work note (`is_public: false`).",
        parameters=[NUMBER_PARAMETER],
        request=CommentInputSerializer,
        responses={201: TimelineEntrySerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    @action(detail=True, methods=["post"], filterset_class=None, filter_backends=[])
    def comments(self, request, number=None):
        ticket = self.get_ticket()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        entry = self.comment_on_ticket(ticket, **serializer.validated_data)
        return Response(TimelineEntrySerializer(entry, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="List attachments",
        description="Requesters see public attachments only.",
        parameters=[NUMBER_PARAMETER],
        responses={200: AttachmentSerializer(many=True), 404: ERROR},
    )
    # The upload below shares this route, and so its parser: files come as multipart/form-data.
    @action(detail=True, methods=["get"], pagination_class=None, filterset_class=None, filter_backends=[],
            parser_classes=[MultiPartParser])
    def attachments(self, request, number=None):
        ticket = self.get_ticket()
        attachments = ticket_queries.attachments(ticket, public_only=caller_role(request.user) != AGENT)
        return Response(AttachmentSerializer(attachments, many=True, context=self.get_serializer_context()).data)

    @extend_schema(
        summary="Upload an attachment",
        description="`multipart/form-data` with `file` and optional `is_public` (default true; internal "
                    "attachments are for agents only). Size and type limits give 400 with a `file` field error.",
        parameters=[NUMBER_PARAMETER],
        request={"multipart/form-data": AttachmentUploadSerializer},
        responses={201: AttachmentSerializer, 400: ERROR, 403: ERROR, 404: ERROR},
    )
    @attachments.mapping.post
    def upload_attachment(self, request, number=None):
        ticket = self.get_ticket()
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        attachment = self.attach_to_ticket(ticket, upload=serializer.validated_data["file"],
                                           is_public=serializer.validated_data["is_public"])
        return Response(AttachmentSerializer(attachment, context=self.get_serializer_context()).data,
                        status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Download an attachment",
        parameters=[NUMBER_PARAMETER, OpenApiParameter("attachment_id", OpenApiTypes.INT, OpenApiParameter.PATH)],
        responses={(200, "*/*"): OpenApiTypes.BINARY, (404, "application/json"): ERROR},
    )
    @action(detail=True, methods=["get"], url_path=r"attachments/(?P<attachment_id>[0-9]+)",
            url_name="attachment-download", filterset_class=None, filter_backends=[])
    def attachment_download(self, request, number=None, attachment_id=None):
        # Imported here so this method's change stays inside it; the same response as the desk's download.
        ticket = self.get_ticket()
        attachment = ticket_queries.attachments(ticket, public_only=False).filter(pk=attachment_id).first()
        # Hidden and missing look the same, so internal attachments are not even confirmed to exist.
        if attachment is None or not can_download(request.user, attachment, ticket):
            raise NotFound(f"No attachment {attachment_id} on {ticket.number}.")
        return download_response(attachment)

    def perform_content_negotiation(self, request, force=False):
        # A download accepts whatever the client asks for; errors still render as JSON.
        return super().perform_content_negotiation(request, force=force or self.action == "attachment_download")


def _detail_serializer(serializer_class, added: dict):
    """The full representation as the schema documents it: the output serializer plus what extensions add.

    Documentation only: the added fields' values come from ``extensions.api_detail``, not from this class.
    """
    if not added:
        return serializer_class
    meta = type("Meta", (serializer_class.Meta,), {"fields": (*serializer_class.Meta.fields, *added)})
    name = serializer_class.__name__.removesuffix("Serializer") + "DetailSerializer"
    return type(name, (serializer_class,), {**added, "Meta": meta, "__module__": serializer_class.__module__,
                                            "__doc__": serializer_class.__doc__})


def _document_crud(cls) -> None:
    """Per-type OpenAPI for the operations whose bodies differ between ticket types."""
    noun = cls.model._meta.verbose_name
    extend_schema_view(
        list=extend_schema(
            summary=f"List {cls.model._meta.verbose_name_plural}",
            description="Newest first, cursor-paginated. Requesters see only their own. Send `If-None-Match` "
                        "with the page's ETag to get 304 while the page is unchanged.",
            parameters=[PAGE_ETAG_HEADER],
            responses={200: cls.serializer_class(many=True), 304: OpenApiResponse(description="Not modified."),
                       400: ERROR},
        ),
        retrieve=extend_schema(
            summary=f"Get one {noun}",
            description="Send `If-None-Match` with the ETag to get 304 when nothing changed.",
            parameters=[NUMBER_PARAMETER, ETAG_HEADER],
            responses={200: cls.detail_serializer_class,
                       304: OpenApiResponse(description="Not modified."), 404: ERROR},
        ),
        create=extend_schema(
            summary=f"Create {noun}",
            parameters=[ETAG_HEADER],
            request=cls.create_serializer_class,
            responses={201: cls.detail_serializer_class, 400: ERROR, 403: ERROR},
        ),
        partial_update=extend_schema(
            summary=f"Edit {noun} fields (agents)",
            description="Only the listed fields; unknown or read-only fields are refused with 400. "
                        "State changes go through the actions endpoints.",
            parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER, ETAG_HEADER],
            request=cls.update_serializer_class,
            responses={200: cls.detail_serializer_class, 400: ERROR, 403: ERROR, 404: ERROR, 412: ERROR},
        ),
    )(cls)


def _transition_endpoint(cls, transition, name: str):
    """``POST .../{number}/actions/<transition>/`` with a body built from the transition's fields."""
    input_serializer = cls.action_input_serializers[transition.name]

    def endpoint(self, request, number=None):
        return self.take_action(request, transition)

    endpoint.__name__ = endpoint.__qualname__ = name
    states = ", ".join(cls.model.workflow.states[s] for s in sorted(transition.sources))
    roles = " and ".join(sorted(transition.roles))
    endpoint = action(detail=True, methods=["post"], url_path=f"actions/{transition.name}",
                      url_name=f"action-{transition.name.replace('_', '-')}", filterset_class=None,
                      filter_backends=[])(endpoint)
    return extend_schema(
        operation_id=f"{cls.model._meta.model_name}s_{transition.name}",
        summary=f"{transition.label} ({transition.name})",
        description=(f"Moves the {cls.model._meta.verbose_name} to "
                     f"{cls.model.workflow.states[transition.target]}. Allowed from: {states}; for: {roles}. "
                     "Refused with 409 (and nothing changed) from any other state."),
        parameters=[NUMBER_PARAMETER, IF_MATCH_PARAMETER, ETAG_HEADER],
        request=input_serializer,
        responses={200: cls.detail_serializer_class, 400: ERROR, 403: ERROR, 404: ERROR, 409: ERROR, 412: ERROR},
    )(endpoint)
