from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.reports"
    label = "reports"
    verbose_name = "Reports"
