"""`keepwarm serve [ADDRESS:PORT]`: the web server and the worker in one command.

Made for trying Keepwarm (`make demo`) and for one-machine installs. gunicorn
with two sync workers serves the site (whitenoise serves the static files from
the same processes), and `keepwarm worker` runs beside it as a child process.
In production, run gunicorn and `keepwarm worker` separately (see the README).
"""

from __future__ import annotations

import errno
import ipaddress
import os
import re
import signal
import socket
import subprocess
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

DEFAULT_ADDRESS = "127.0.0.1:8000"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOSTNAME = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")


def parse_address(value: str) -> tuple[str, int]:
    """Split "ADDRESS:PORT" (or just "PORT", or "[::1]:PORT") into host and port."""
    text = value.strip()
    host, sep, port_text = text.rpartition(":")
    if not sep:
        host, port_text = "127.0.0.1", text
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
        try:
            ipaddress.IPv6Address(host)
        except ValueError:
            host = ""
    elif ":" in host or not _HOSTNAME.match(host):
        host = ""
    if not host or not port_text.isdecimal() or not 0 < int(port_text) < 65536:
        raise CommandError(
            f"{value!r} is not an address to serve on. Use ADDRESS:PORT, "
            "e.g. 127.0.0.1:8000, 0.0.0.0:8000, [::1]:8000, or just a port such as 8000."
        )
    return host, int(port_text)


def bind_address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ensure_port_free(host: str, port: int) -> None:
    """Fail with a clear message now, rather than gunicorn retrying five times."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        infos = socket.getaddrinfo(host, port, family, socket.SOCK_STREAM)
    except socket.gaierror:
        raise CommandError(f"Cannot serve on {host!r}: no such address on this machine.") from None
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # gunicorn binds with SO_REUSEADDR too, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(infos[0][4])
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise CommandError(
                    f"Port {port} on {host} is already in use: is Keepwarm (or another "
                    f"server) already running? Stop it, or choose another port, e.g. "
                    f"`keepwarm serve {bind_address(host, port + 1)}`."
                ) from None
            if exc.errno == errno.EACCES:
                raise CommandError(
                    f"Not allowed to listen on port {port}: ports below 1024 need root. "
                    "Choose a port such as 8000."
                ) from None
            raise CommandError(f"Cannot listen on {bind_address(host, port)}: {exc}") from None


class WorkerProcess:
    """`keepwarm worker` as a child process, started and stopped with the web server."""

    def __init__(self) -> None:
        self.process: subprocess.Popen[bytes] | None = None
        # gunicorn forks its web workers from this process, and they unwind through
        # the same `finally`; only the process that started the worker may stop it.
        self.parent_pid = os.getpid()

    def start(self) -> None:
        if self.process is None:
            # The same interpreter and the same settings as this process.
            self.process = subprocess.Popen([sys.executable, "-m", "keepwarm.cli", "worker"])

    def stop(self, timeout: float = 10.0) -> None:
        if os.getpid() != self.parent_pid:
            return
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def run_gunicorn(options: dict[str, Any]) -> None:
    from gunicorn.app.base import BaseApplication

    class KeepwarmApplication(BaseApplication):
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            from keepwarm.wsgi import application

            return application

    KeepwarmApplication().run()


class Command(BaseCommand):
    help = (
        "Run Keepwarm on one machine: a production web server (gunicorn) and the worker "
        "that sends due emails, together. Ctrl-C stops both."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "address",
            nargs="?",
            default=DEFAULT_ADDRESS,
            metavar="ADDRESS:PORT",
            help=f"where to listen (default {DEFAULT_ADDRESS})",
        )
        parser.add_argument(
            "--workers", type=int, default=2, help="gunicorn worker processes (default 2)"
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="serve the web pages only; run `keepwarm worker` elsewhere",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        host, port = parse_address(options["address"])
        if options["workers"] < 1:
            raise CommandError("--workers must be at least 1.")
        ensure_port_free(host, port)
        call_command("collectstatic", interactive=False, verbosity=0)
        # Forked gunicorn workers must not share this process's database connection.
        connections.close_all()

        worker = WorkerProcess()
        url = f"http://{bind_address(host, port)}/"
        with_worker = not options["no_worker"]

        def when_ready(server: Any) -> None:
            if with_worker:
                worker.start()
            also = " and the worker" if with_worker else ""
            self.stdout.write(f"Keepwarm web{also} running at {url} — press Ctrl-C to stop.")
            self.stdout.flush()

        def on_exit(server: Any) -> None:
            worker.stop()
            self.stdout.write("Keepwarm stopped.")

        try:
            run_gunicorn(
                {
                    "bind": [bind_address(host, port)],
                    "workers": options["workers"],
                    "worker_class": "sync",
                    "proc_name": "keepwarm",
                    "timeout": 60,
                    "graceful_timeout": 10,
                    "errorlog": "-",
                    "loglevel": "warning",
                    # One control socket per user account would clash between instances.
                    "control_socket_disable": True,
                    "when_ready": when_ready,
                    "on_exit": on_exit,
                }
            )
        finally:
            worker.stop()
