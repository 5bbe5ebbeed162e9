from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.people"
    label = "people"
