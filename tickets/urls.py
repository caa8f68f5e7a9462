from django.urls import path

from tickets import views
from tickets.links import views as link_views

urlpatterns = [
    path("attachments/<int:pk>/", views.download_attachment, name="attachment_download"),
    # Any ticket type's links, from its desk page (tickets/_links.html).
    path("desk/links/<str:number>/add/", link_views.add, name="ticket_link_add"),
    path("desk/links/<str:number>/<int:link_id>/remove/", link_views.remove, name="ticket_link_remove"),
]
