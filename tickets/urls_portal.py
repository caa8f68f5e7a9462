"""The portal's URLs: tickets by number whatever their type; raising one per raisable type."""

from django.urls import path

from tickets import views_portal

urlpatterns = [
    path("", views_portal.home, name="home"),
    path("search/", views_portal.search, name="search"),
    path("tickets/", views_portal.ticket_list, name="list"),
    # "Report an issue": the first raisable type (incidents); other types at /portal/<slug>/new/.
    path("tickets/new/", views_portal.create, name="create"),
    path("tickets/<str:number>/", views_portal.detail, name="detail"),
    path("tickets/<str:number>/reply/", views_portal.reply, name="reply"),
    path("tickets/<str:number>/<slug:action_slug>/", views_portal.requester_action, name="action"),
    path("<slug:type_slug>/new/", views_portal.create, name="create_type"),
]
