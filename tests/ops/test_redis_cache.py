"""core.redis_cache: Django's Redis backend with one redis-py client per pool (not one per call)."""

import uuid

from django.core.cache import caches


def test_the_shared_cache_reuses_its_client_and_still_works():
    backend = caches["shared"]
    assert backend._cache.get_client() is backend._cache.get_client(write=True)
    key = f"redis-cache-test:{uuid.uuid4().hex}"
    backend.set(key, ("generation", 1), timeout=5)
    assert backend.get_many([key, f"{key}:missing"]) == {key: ("generation", 1)}
    assert backend.add(key, "other", timeout=5) is False
    backend.delete(key)
    assert backend.get(key) is None
