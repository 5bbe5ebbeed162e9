from django.contrib.auth import views as auth_views
from django.urls import path

from keepwarm.accounts import views

urlpatterns = [
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("team/", views.team, name="team"),
    path("team/new/", views.team_new, name="team_new"),
    path("team/<int:pk>/", views.team_member, name="team_member"),
    path("team/<int:pk>/deactivate/", views.team_deactivate, name="team_deactivate"),
    path("team/<int:pk>/reactivate/", views.team_reactivate, name="team_reactivate"),
    path("account/", views.account, name="account"),
    path("account/card/", views.account_card, name="account_card"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/tokens/new/", views.api_token_new, name="api_token_new"),
    path("account/tokens/<int:pk>/revoke/", views.api_token_revoke, name="api_token_revoke"),
]
