from django.urls import path

from keepwarm.surveys import views

urlpatterns = [
    path("q/<str:token>/", views.answer, name="answer"),
    path("responses/<int:pk>/", views.response_detail, name="response"),
    path("questionnaires/", views.questionnaires, name="questionnaires"),
    path("questionnaires/new/", views.questionnaire_edit, name="questionnaire_new"),
    path("questionnaires/<int:pk>/", views.questionnaire, name="questionnaire"),
    path("questionnaires/<int:pk>/edit/", views.questionnaire_edit, name="questionnaire_edit"),
    path(
        "questionnaires/<int:pk>/preview/",
        views.questionnaire_preview,
        name="questionnaire_preview",
    ),
    path(
        "questionnaires/<int:questionnaire_pk>/questions/new/",
        views.question_edit,
        name="question_new",
    ),
    path("questions/<int:pk>/edit/", views.question_edit, name="question_edit"),
    path("questions/<int:pk>/delete/", views.question_delete, name="question_delete"),
]
