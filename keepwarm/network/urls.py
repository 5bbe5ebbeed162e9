from django.urls import include, path

urlpatterns: list = [
    path("", include("keepwarm.network.urls_matching")),
]
