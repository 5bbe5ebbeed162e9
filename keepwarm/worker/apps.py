from django.apps import AppConfig


class Config(AppConfig):
    name = "keepwarm.worker"
    label = "worker"
    verbose_name = "The worker: the tick and the once-a-day jobs"
