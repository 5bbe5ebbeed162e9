from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.placements"
    label = "placements"
