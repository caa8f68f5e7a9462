from django.urls import path

from approvals import views

app_name = "approvals"

urlpatterns = [
    path("portal/approvals/", views.portal_list, name="portal_list"),
    path("portal/approvals/away/", views.away, name="away"),
    path("portal/approvals/<int:request_id>/", views.portal_detail, name="portal_detail"),
    path("desk/approvals/<int:request_id>/decide/", views.desk_decide, name="desk_decide"),
]
