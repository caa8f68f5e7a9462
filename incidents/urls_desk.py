from django.urls import path

from incidents import views_desk

urlpatterns = [
    path("", views_desk.index, name="index"),
    path("incidents/", views_desk.queue, name="queue"),
    path("incidents/new/", views_desk.create, name="create"),
    path("incidents/<str:number>/", views_desk.detail, name="detail"),
    path("incidents/<str:number>/edit/", views_desk.edit, name="edit"),
    path("incidents/<str:number>/actions/<slug:name>/", views_desk.action, name="action"),
    path("incidents/<str:number>/comment/", views_desk.comment, name="comment"),
    path("incidents/<str:number>/assign-to-me/", views_desk.assign_to_me, name="assign_to_me"),
    path("incidents/<str:number>/watch/", views_desk.watch, name="watch"),
]
