"""Settings for benchmarks: the project's own, plus one trivial view to compare against."""

from pitwall.settings import *  # noqa: F403

ROOT_URLCONF = "bench.bench_urls"
