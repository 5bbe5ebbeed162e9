from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.accounts"
    label = "accounts"

    def ready(self) -> None:
        from keepwarm.accounts import checks  # noqa: F401 -- registers the deploy checks
