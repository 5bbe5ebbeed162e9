from django.urls import path

from keepwarm.integrations import views

urlpatterns = [
    path("calendar/", views.calendar, name="calendar"),
    path("calendar/new/", views.calendar_new, name="calendar_new"),
    path("calendar/settings/", views.calendar_settings, name="calendar_settings"),
    path("calendar/revoke/", views.calendar_revoke, name="calendar_revoke"),
    path("calendar/feed/<str:secret>.ics", views.calendar_feed, name="calendar_feed"),
    path("webhooks/", views.webhooks, name="webhooks"),
    path("webhooks/new/", views.webhook_new, name="webhook_new"),
    path("webhooks/<int:pk>/", views.webhook_edit, name="webhook_edit"),
    path("webhooks/<int:pk>/delete/", views.webhook_delete, name="webhook_delete"),
    path("webhooks/<int:pk>/test/", views.webhook_test, name="webhook_test"),
    path("webhooks/<int:pk>/rotate/", views.webhook_rotate, name="webhook_rotate"),
    path("webhooks/deliveries/<int:pk>/", views.webhook_delivery, name="webhook_delivery"),
    path(
        "webhooks/deliveries/<int:pk>/redeliver/",
        views.webhook_redeliver,
        name="webhook_redeliver",
    ),
]
