from django.urls import path

from keepwarm.portal import views, views_personal

urlpatterns = [
    path("u/<str:token>/", views.unsubscribe, name="unsubscribe"),
    path("email-preferences/<str:token>/", views.preferences, name="email_preferences"),
    path("subscribe/", views.signup, name="newsletter_signup"),
    path("subscribe/confirm/<str:token>/", views.confirm, name="newsletter_confirm"),
    # The personal page for placed candidates and client contacts.
    path("me/", views_personal.home, name="portal_home"),
    path("me/sign-in/", views_personal.sign_in, name="portal_sign_in"),
    path("me/link/<str:token>/", views_personal.use_link, name="portal_link"),
    path("me/sign-out/", views_personal.sign_out, name="portal_sign_out"),
    path("me/thanks/<slug:action>/", views_personal.thanks, name="portal_thanks"),
    path("me/<slug:action>/", views_personal.act, name="portal_act"),
    path("staff-photo/<int:pk>/", views_personal.staff_photo, name="staff_photo"),
    path("people/<int:pk>/send-page-link/", views_personal.send_link, name="portal_send_link"),
]
