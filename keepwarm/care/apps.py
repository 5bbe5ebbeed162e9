from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.care"
    label = "care"
