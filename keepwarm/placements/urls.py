from django.urls import path

from keepwarm.placements import views

urlpatterns = [
    path("", views.placements, name="placements"),
    path("new/", views.placement_new, name="placement_new"),
    path("<int:pk>/", views.placement, name="placement"),
    path("<int:pk>/edit/", views.placement_edit, name="placement_edit"),
    path("<int:pk>/outcome/", views.placement_outcome, name="placement_outcome"),
    path("<int:pk>/replacement/", views.placement_replacement, name="placement_replacement"),
]
