from django.urls import URLPattern, URLResolver, path

from keepwarm.network import views_matching as views

urlpatterns: list[URLPattern | URLResolver] = [
    path("ready-to-move/", views.ready_to_move, name="ready_to_move"),
    path("vacancies/<int:pk>/matches/", views.vacancy_matches, name="vacancy_matches"),
    path("people/<int:pk>/vacancies/", views.person_matches, name="person_matches"),
]
