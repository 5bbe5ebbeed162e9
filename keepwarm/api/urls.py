from django.urls import path

from keepwarm.api import docs
from keepwarm.api.api import api

urlpatterns = [
    path("docs/assets/<str:name>", docs.asset, name="api-docs-asset"),
    path("", api.urls),
]
