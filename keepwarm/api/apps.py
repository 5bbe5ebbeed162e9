from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.api"
    label = "api"
