"""Django's Redis cache, keeping one Redis client per connection pool.

Django's RedisCacheClient builds a new `redis.Redis` on every cache call, and redis-py fills each new client's table
of about 170 response callbacks: a third of a millisecond of CPU per call, more than the round trip to Redis itself
and as much as a whole cached answer costs otherwise (docs/performance.md, "Kept verification answers"). A client is
only a handle on its pool (thread-safe, holding no connection of its own), so one per pool does the same work.
"""

from __future__ import annotations

from django.core.cache.backends import redis as django_redis


class RedisCacheClient(django_redis.RedisCacheClient):
    """Django's client, with the `redis.Redis` of each connection pool made once."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._clients = {}

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)
        client = self._clients.get(id(pool))  # pools live as long as this object: their ids are not reused
        if client is None:
            client = self._clients[id(pool)] = self._client(connection_pool=pool)
        return client


class RedisCache(django_redis.RedisCache):
    """The cache backend of TONGBAN_CACHE_URL (settings.CACHES)."""

    def __init__(self, server, params):
        super().__init__(server, params)
        self._class = RedisCacheClient
