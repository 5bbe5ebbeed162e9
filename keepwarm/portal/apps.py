from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.portal"
    label = "portal"
    verbose_name = "Outsiders' pages"
