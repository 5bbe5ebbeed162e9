from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.signals"
    label = "signals"
