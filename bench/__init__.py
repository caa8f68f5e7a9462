"""Benchmarks at scale: the HTTP/SQL harness (``bench/run.py``); bulk seeding lives in ``demo.seeding``."""
