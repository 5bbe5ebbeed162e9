from django.urls import path

from keepwarm.imports import views

urlpatterns = [
    path("", views.imports, name="imports"),
    path("<int:pk>/", views.run_page, name="import_run"),
    path("<int:pk>/mapping/", views.mapping, name="import_mapping"),
    path("<int:pk>/progress/", views.progress, name="import_progress"),
    path("<int:pk>/confirm/", views.confirm, name="import_confirm"),
]
