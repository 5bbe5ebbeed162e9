from django.urls import path

from keepwarm.agency import views

urlpatterns = [
    path("settings/agency/", views.settings_page, name="agency_settings"),
    path("settings/agency/preview/", views.preview, name="agency_preview"),
    path("brand/logo/<str:digest>/", views.logo, name="agency_logo"),
    path("brand/colours.css", views.brand_css, name="agency_css"),
    path("favicon.<str:kind>", views.favicon_file, name="favicon"),
]
