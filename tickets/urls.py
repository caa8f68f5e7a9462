from django.urls import path

from tickets import views

urlpatterns = [
    path("attachments/<int:pk>/", views.download_attachment, name="attachment_download"),
]
