"""gunicorn settings for every web process: `make run`, the Docker image and the real-server tests.

Threaded workers (gthread): ``WEB_WORKERS`` processes x ``WEB_THREADS`` threads serve at most
that many requests at once; further clients wait in the listen backlog instead of each getting
a thread and a database connection (runserver's model, which exhausted PostgreSQL at 50 clients).
Each process's database pool holds at most ``WEB_THREADS`` connections (``itsm.settings``), so
the web tier never opens more than ``WEB_WORKERS * WEB_THREADS`` of them.
"""

import os

bind = os.environ.get("WEB_BIND", "0.0.0.0:8000")
workers = int(os.environ.get("WEB_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("WEB_THREADS", "4"))
# Room for bursts: connections beyond the busy threads queue here rather than being reset.
backlog = int(os.environ.get("WEB_BACKLOG", "2048"))
# Fair queueing under overload: a worker accepts a connection only when one of its threads is
# free, and closes it after the response, so waiting clients are served in arrival order from the
# kernel's backlog. With keep-alive (each worker keeping the connections it had accepted, queued
# behind its own busy threads), 64 clients on 2 cores had 431 responses over 2 s against 1,631
# under it, median 0.65 s; now none (bench/README.md, "Trust drills"). Loopback and the proxy in
# front make a new connection per request cheap.
worker_connections = threads
keepalive = 0
timeout = 60
graceful_timeout = 20
# Recycle workers now and then so a slow leak never grows without bound.
max_requests = 10000
max_requests_jitter = 1000
# One JSON line per request already comes from itsm.middleware.RequestLogMiddleware.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("WEB_LOG_LEVEL", "warning")
# The TLS proxy in front (Docker) or nothing (make run) talks to us over loopback.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")


def post_worker_init(worker):
    """Move what start-up loaded (Django, the URL confs, the models) out of the garbage collector's sight.

    A request that builds many small objects (an impact walk of 5,000 CIs) otherwise triggers full
    collections that traverse everything Django loaded: at 100,000 CIs that took the walk's p95 from
    about 30 ms to about 60 ms (bench/README.md, "Issue 11: CMDB impact").
    """
    import gc

    gc.freeze()
