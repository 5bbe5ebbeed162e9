from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.audit"
    label = "audit"
    verbose_name = "Audit trail"
