"""The agent desk's URLs, the same for every registered ticket type (``/desk/<slug>/...``).

A type's own pages (``TicketType.desk_urls``) come first, so ``/desk/known-errors/`` is not read
as a type slug.
"""

from django.urls import include, path

from tickets import types, views_desk

urlpatterns = [
    path("", views_desk.index, name="index"),
    path("search/", views_desk.search, name="search"),
    path("my-work/", views_desk.my_work, name="my_work"),
    *[path("", include(ticket_type.desk_urls)) for ticket_type in types.all_types() if ticket_type.desk_urls],
    path("<slug:type_slug>/", views_desk.queue, name="queue"),
    path("<slug:type_slug>/new/", views_desk.create, name="create"),
    path("<slug:type_slug>/lookup/", views_desk.lookup, name="lookup"),
    path("<slug:type_slug>/<str:number>/", views_desk.detail, name="detail"),
    path("<slug:type_slug>/<str:number>/edit/", views_desk.edit, name="edit"),
    path("<slug:type_slug>/<str:number>/actions/<slug:name>/", views_desk.action, name="action"),
    path("<slug:type_slug>/<str:number>/comment/", views_desk.comment, name="comment"),
    path("<slug:type_slug>/<str:number>/assign-to-me/", views_desk.assign_to_me, name="assign_to_me"),
    path("<slug:type_slug>/<str:number>/watch/", views_desk.watch, name="watch"),
]
