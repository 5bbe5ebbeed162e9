from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.signals"
    label = "signals"

    def ready(self) -> None:
        from keepwarm.lib.events import domain_event
        from keepwarm.signals.services.responses import on_questionnaire_answered

        # A questionnaire answered (announced by surveys) moves the placement's risk.
        domain_event.connect(on_questionnaire_answered, dispatch_uid="signals.responses")
