from django.urls import path

from keepwarm.audit import views

urlpatterns = [path("", views.audit_trail, name="audit_trail")]
