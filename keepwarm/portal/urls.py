from django.urls import path

from keepwarm.portal import views

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email-preferences/<str:token>/", views.preferences, name="email_preferences"),
    path("subscribe/", views.signup, name="newsletter_signup"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="newsletter_confirm"),
]
