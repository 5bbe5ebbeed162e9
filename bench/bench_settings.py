"""Keepwarm's settings with the anchor views of bench_urls.py, for a benchmark's server."""

from keepwarm.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
