from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.ops"
    label = "ops"
    verbose_name = "Operations: backup and restore, the worker's health"
