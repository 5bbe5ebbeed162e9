from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.care"
    label = "care"

    def ready(self) -> None:
        from keepwarm.care.models import agency_closures
        from keepwarm.lib.working_days import use_closures

        # lib.working_days knows no models: the agency's closures are handed to it here.
        use_closures(agency_closures)
