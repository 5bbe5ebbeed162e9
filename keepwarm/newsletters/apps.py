from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.newsletters"
    label = "newsletters"
