from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.mail"
    label = "mail"

    def ready(self) -> None:
        from anymail.signals import tracking

        from keepwarm.mail.webhooks import on_tracking

        tracking.connect(on_tracking, dispatch_uid="keepwarm.mail.webhooks.on_tracking")
