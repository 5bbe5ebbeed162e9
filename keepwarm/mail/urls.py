from django.urls import path

from keepwarm.mail import views

urlpatterns = [
    path("", views.sent_mail, name="sent_mail"),
    path("resolve/", views.resolve_messages, name="resolve_messages"),
    path("<int:pk>/", views.sent_message, name="sent_message"),
    path("<int:pk>/resolve/", views.resolve_message, name="resolve_message"),
]
