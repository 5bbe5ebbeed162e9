from django.contrib.auth import views as auth_views
from django.urls import path

from keepwarm.accounts import views, views_reset, views_sso

urlpatterns = [
    path("login/", views.SignInView.as_view(), name="login"),
    path("login/sso/<slug:slug>/", views_sso.sso_start, name="sso_start"),
    path("login/sso/<slug:slug>/callback/", views_sso.sso_callback, name="sso_callback"),
    path("login/forgot/", views_reset.password_reset, name="password_reset"),
    path(
        "login/reset/<uidb64>/<token>/",
        views_reset.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("login/second-factor/", views.second_factor, name="second_factor"),
    path("login/second-factor/set-up/", views.second_factor_enrol, name="second_factor_enrol"),
    path("account/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("account/second-factor/", views.second_factor_change, name="second_factor_change"),
    path("account/sign-out-everywhere/", views.sign_out_everywhere, name="sign_out_everywhere"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("team/", views.team, name="team"),
    path("team/new/", views.team_new, name="team_new"),
    path("team/<int:pk>/", views.team_member, name="team_member"),
    path("team/<int:pk>/deactivate/", views.team_deactivate, name="team_deactivate"),
    path("team/<int:pk>/reactivate/", views.team_reactivate, name="team_reactivate"),
    path(
        "team/<int:pk>/second-factor/reset/",
        views.team_second_factor_reset,
        name="team_second_factor_reset",
    ),
    path("account/", views.account, name="account"),
    path("account/card/", views.account_card, name="account_card"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/new/", views.api_token_new, name="api_token_new"),
    path("account/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
