from django.urls import path

from keepwarm.reports import list_exports, views

urlpatterns = [
    path("", views.dashboard, name="reports"),
    path("export/<slug:name>/", list_exports.list_export, name="list_export"),
    path("rebates/<int:pk>/paid/", views.rebate_paid, name="rebate_paid"),
    path("<slug:slug>/", views.report, name="report"),
]
