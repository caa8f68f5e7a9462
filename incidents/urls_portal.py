from django.urls import path

from incidents import views_portal

urlpatterns = [
    path("", views_portal.home, name="home"),
    path("tickets/", views_portal.ticket_list, name="list"),
    path("tickets/new/", views_portal.create, name="create"),
    path("tickets/<str:number>/", views_portal.detail, name="detail"),
    path("tickets/<str:number>/reply/", views_portal.reply, name="reply"),
    path("tickets/<str:number>/confirm/", views_portal.confirm, name="confirm"),
    path("tickets/<str:number>/reopen/", views_portal.reopen, name="reopen"),
]
