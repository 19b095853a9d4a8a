"""Benchmark suite of oot: ``python -m bench [--quick] [--only B1,B2,...] [--save]``.

Every figure is a ratio against a baseline measured in the same run (see
``bench/README.md`` and ``docs/performance.md``).
"""
