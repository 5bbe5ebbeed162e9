from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.lib"
    label = "lib"
    verbose_name = "Shared helpers"
