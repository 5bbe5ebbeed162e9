from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.privacy"
    label = "privacy"
    verbose_name = "Data protection: subject access requests"
