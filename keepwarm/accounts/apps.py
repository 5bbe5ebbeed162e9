from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.accounts"
    label = "accounts"
