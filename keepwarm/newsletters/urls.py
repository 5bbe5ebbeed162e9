from django.urls import URLPattern, URLResolver, path

from keepwarm.newsletters import views

urlpatterns: list[URLPattern | URLResolver] = [
    path("", views.newsletters, name="newsletters"),
    path("new/", views.newsletter_new, name="newsletter_new"),
    path("<int:pk>/", views.newsletter, name="newsletter"),
    path("<int:pk>/edit/", views.newsletter_edit, name="newsletter_edit"),
    path("<int:pk>/issues/new/", views.issue_new, name="newsletter_issue_new"),
    path("audiences/new/", views.audience_new, name="newsletter_audience_new"),
    path("audiences/<int:pk>/", views.audience_edit, name="newsletter_audience_edit"),
    path("audiences/preview/", views.audience_preview, name="newsletter_audience_preview"),
    path("issues/<int:pk>/", views.issue, name="newsletter_issue"),
    path("issues/<int:pk>/progress/", views.issue_progress_view, name="newsletter_progress"),
    path("issues/<int:pk>/preview/", views.issue_preview, name="newsletter_issue_preview"),
    path("issues/<int:pk>/action/", views.issue_action, name="newsletter_issue_action"),
    path("library/", views.library, name="newsletter_library"),
    path("statistics/", views.statistics, name="newsletter_statistics"),
    path("view/<str:token>/", views.view_in_browser, name="newsletter_view"),
    path("open/<str:token>.gif", views.opened, name="newsletter_open"),
    path("click/<str:token>/<int:n>/", views.clicked, name="newsletter_click"),
]
