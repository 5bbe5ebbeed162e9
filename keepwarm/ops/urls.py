from django.urls import path

from keepwarm.ops import views

urlpatterns = [
    path("system/", views.system_page, name="system"),
    path("system/failing/<int:pk>/retry/", views.retry_job, name="system_retry_job"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
]
