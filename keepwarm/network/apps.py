from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.network"
    label = "network"
    verbose_name = "Referrals, leads, intelligence and vacancies"
