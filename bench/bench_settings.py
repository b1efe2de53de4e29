"""Production settings (from the environment) plus the benchmarks' minimal view."""

from outreach.settings import *  # noqa: F403

ROOT_URLCONF = "bench_urls"
