from django.urls import path

from keepwarm.ops import views

urlpatterns = [
    path("system/", views.system_page, name="system"),
    path("healthz", views.healthz, name="healthz"),
]
