from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.demo"
    label = "demo"
