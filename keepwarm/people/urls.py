from django.urls import path

from keepwarm.people import views, views_consent

urlpatterns = [
    path("", views.people, name="people"),
    path("new/", views.person_edit, name="person_new"),
    path("<int:pk>/", views.person, name="person"),
    path("<int:pk>/edit/", views.person_edit, name="person_edit"),
    path("<int:pk>/log-call/", views.log_call, name="log_call"),
    path("<int:pk>/notes/", views.add_note, name="person_note"),
    path("<int:pk>/roles/", views.add_role, name="person_role"),
    path("<int:pk>/client-contact/", views.make_client_contact, name="person_client_contact"),
    path("<int:pk>/consent/", views_consent.person_consent, name="person_consent"),
]
