from django.urls import path

from keepwarm.privacy import views

urlpatterns = [
    path("access-requests/", views.access_requests, name="access_requests"),
    path(
        "people/<int:person_pk>/access-request/",
        views.access_request_new,
        name="access_request_new",
    ),
    path("access-requests/<int:pk>/", views.access_request, name="access_request"),
    path("people/<int:person_pk>/erase/", views.erase, name="erase_person"),
    path("people/<int:person_pk>/keep/", views.keep_on_review, name="retention_keep"),
    path("keep/<str:token>/", views.keep_details, name="keep_details"),
    path("retention/", views.retention_rules, name="retention_rules"),
    path("people/<int:person_pk>/notice-given/", views.notice_given, name="privacy_notice_given"),
    path(
        "access-requests/<int:pk>/everything.json",
        views.access_request_json,
        name="access_request_json",
    ),
    path(
        "access-requests/<int:pk>/document/",
        views.access_request_document,
        name="access_request_document",
    ),
    path(
        "access-requests/<int:pk>/answered/",
        views.access_request_answer,
        name="access_request_answer",
    ),
]
