from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.network"
    label = "network"
    verbose_name = "Referrals, leads, intelligence and vacancies"

    def ready(self) -> None:
        # Connects readiness's receiver: a new statement recomputes that person's readiness.
        from keepwarm.network import readiness  # noqa: F401
