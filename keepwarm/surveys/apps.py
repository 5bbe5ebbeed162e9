from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.surveys"
    label = "surveys"
