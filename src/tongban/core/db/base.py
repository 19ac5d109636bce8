"""Django's PostgreSQL backend, health-checking a reused connection only after it has sat idle.

With CONN_HEALTH_CHECKS Django sends `SELECT 1` before the first query of every request that uses the database, so
a connection the server closed (a restart, an idle timeout) is replaced instead of failing the request. On a busy
worker that is one extra round trip per request for connections used a moment ago; this backend skips the check
when the connection was used less than HEALTH_CHECK_AFTER_IDLE_S seconds before. A connection dropped inside that
window fails one request, as Django documents for connections without health checks: the error marks it, and
Django's end-of-request check closes it, so the worker's next request opens a fresh one.
"""

from __future__ import annotations

import time

from django.db.backends.postgresql import base

# Server-side drops that health checks exist for (restarts, idle timeouts, a failover) find connections that have
# been idle; one used two seconds ago is as good as checked. Under any real load a worker reuses it sooner.
HEALTH_CHECK_AFTER_IDLE_S = 2.0


class DatabaseWrapper(base.DatabaseWrapper):
    """PostgreSQL with the per-request health check skipped for a connection used within the last two seconds."""

    _used_at = float("-inf")

    def connect(self):
        super().connect()
        self._used_at = time.monotonic()

    def close_if_health_check_failed(self):
        if self.connection is not None and self.health_check_enabled and not self.health_check_done:
            now = time.monotonic()
            if now - self._used_at < HEALTH_CHECK_AFTER_IDLE_S:
                self.health_check_done = True  # used a moment ago: as good as a successful check
            self._used_at = now
        super().close_if_health_check_failed()
