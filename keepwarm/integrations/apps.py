from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.integrations"
    label = "integrations"
    verbose_name = "Calendar feeds and webhooks"

    def ready(self) -> None:
        from keepwarm.integrations.services import on_domain_event
        from keepwarm.lib.events import domain_event

        domain_event.connect(on_domain_event, dispatch_uid="integrations.webhooks")
