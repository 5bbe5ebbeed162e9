from django.urls import URLPattern, URLResolver, path

from keepwarm.signals import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("at-risk/", views.at_risk, name="at_risk"),
    path("alerts/", views.alerts, name="alerts"),
    path("alerts/<int:pk>/", views.alert, name="alert"),
    path("alerts/<int:pk>/close/", views.close_alert, name="alert_close"),
    path("alerts/<int:pk>/call/", views.call_and_close, name="alert_call"),
    path("alerts/escalation/", views.escalation, name="alert_escalation"),
    path("placements/<int:pk>/concern/", views.raise_concern, name="raise_concern"),
    path("risk/weights/", views.weights, name="risk_weights"),
    path("risk/weights/fit/", views.fit_now, name="risk_fit"),
]
