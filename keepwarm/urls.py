from django.urls import include, path

urlpatterns: list = [
    path("api/v1/", include("keepwarm.api.urls")),
]
