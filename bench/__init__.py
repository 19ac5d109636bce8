"""Load benchmarks for Tongban: start the platform as production would and measure it against its own ceilings.

Run `python -m bench --help` (or `make bench BENCH_ARGS="..."`); docs/performance.md explains the figures.
"""
