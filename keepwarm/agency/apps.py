from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.agency"
    label = "agency"

    def ready(self) -> None:
        from keepwarm.agency.models import calendar_from_settings
        from keepwarm.lib.working_days import use_agency_calendar

        # lib knows no models: the bank holidays and send hour an admin set are handed in.
        use_agency_calendar(calendar_from_settings)
