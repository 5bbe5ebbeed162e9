from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.imports"
    label = "imports"
    verbose_name = "Imports from other systems"
