from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.mail"
    label = "mail"
