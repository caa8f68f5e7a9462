"""Affected CIs from a ticket's desk page (cmdb/_affected_card.html), for any type that opts in."""

from django.urls import path

from cmdb import views_tickets

urlpatterns = [
    path("<str:number>/lookup/", views_tickets.lookup, name="lookup"),
    path("<str:number>/add/", views_tickets.add, name="add"),
    path("<str:number>/<int:ci_id>/remove/", views_tickets.remove, name="remove"),
]
