"""Gunicorn settings for Children's Services Insight (production serving; README "Two commands").

``./serve`` (through ``app.py serve``) runs ``python -m gunicorn --config gunicorn.conf.py ...``, and a
plain ``gunicorn`` started in the checkout reads this file too (gunicorn's default config path), so
both serve the same way. Options given on gunicorn's command line (``--workers``, ``--bind``) win.

Nothing here imports the app: the master process stays small, and each worker builds its own app by
calling ``app:wsgi()`` (no ``preload_app``: a DuckDB connection or a pooled database connection must
not cross a fork). Workers starting together are serialised by ``app.startup_lock``.
"""

from __future__ import annotations

import os
from typing import Any

MAX_DEFAULT_WORKERS = 8


def cpu_count() -> int:
    """The CPUs this process may run on (honours taskset/cgroup CPU sets), at least 1."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(cpus: int | None = None) -> int:
    """One worker process per CPU, at least 2 and at most 8 (README "Production" says why).

    A request's work is CPU-bound in this process (DuckDB runs in-process, figures and suppression in
    Python), so workers beyond the CPU count add memory (each has its own DuckDB instance and page
    cache), not throughput; waits (app-store writes, slow clients) are covered by each worker's
    threads. Two at least, so one worker restarting never leaves no one to answer.
    """
    cpus = cpu_count() if cpus is None else cpus
    return max(2, min(cpus, MAX_DEFAULT_WORKERS))


wsgi_app = "app:wsgi()"
bind = ["127.0.0.1:8050"]
workers = default_workers()
worker_class = "gthread"  # threads per worker; the heartbeat is not blocked by a long request
threads = 4  # = the analytics store's connection pool per worker (data_access/engine.py)
# X-Forwarded-* headers are trusted by the app alone, as CSI_PROXY_HOPS says (werkzeug's ProxyFix),
# not also by gunicorn (whose default trusts them from 127.0.0.1).
forwarded_allow_ips = ""
# gunicorn >= 25.1 opens a control socket at one path per user ($XDG_RUNTIME_DIR/gunicorn.ctl or
# ~/.gunicorn/gunicorn.ctl), which a second server on the machine takes over. Not used: signals manage
# the server (HUP reloads the workers, TTIN/TTOU add or remove one, TERM stops). Older versions
# ignore the setting.
control_socket_disable = True


def post_worker_init(worker: Any) -> None:
    """Log that a worker has built the app and is about to serve (tests wait for this line)."""
    worker.log.info("Worker ready (pid: %s): the app is loaded", worker.pid)
