from django.urls import path

from approvals import views

# Outside any namespace: mail builds the link with reverse("approval_link").
urlpatterns = [path("approvals/link/<str:token>/", views.link, name="approval_link")]
