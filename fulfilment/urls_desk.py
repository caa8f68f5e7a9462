from django.urls import path

from fulfilment import views

urlpatterns = [
    path("tasks/add/<str:number>/", views.add_task, name="add_task"),
]
