"""Benchmarks at scale: bulk seeding (``bench.seeding``) and the HTTP/SQL harness (``bench/run.py``)."""
