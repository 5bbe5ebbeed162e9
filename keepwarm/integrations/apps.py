from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.integrations"
    label = "integrations"
    verbose_name = "Calendar feeds and webhooks"
