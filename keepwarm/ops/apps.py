from django.apps import AppConfig
from django.db.backends.signals import connection_created

from keepwarm.lib.private_files import keep_sqlite_files_private


class Config(AppConfig):
    name = "keepwarm.ops"
    label = "ops"
    verbose_name = "Operations: backup and restore, the worker's health"

    def ready(self) -> None:
        connection_created.connect(keep_sqlite_files_private, dispatch_uid="ops-private-sqlite")
