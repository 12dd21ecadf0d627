"""gunicorn's configuration for `kshare serve` (loaded as ``python:kshare.web.gunicorn_conf``).

`kshare serve` checks the installation, opens the listening socket and then becomes gunicorn's
master process (``exec``); the options a person may change (``--workers``, ``--threads``,
``--graceful-timeout``, ``--access-log``) come on gunicorn's command line, the fixed choices
here. This module must not import Django: the master process stays free of the application, so
that ``kill -HUP`` (a graceful restart) starts workers with the code and settings as they are on
disk now, e.g. after an upgrade.
"""

from __future__ import annotations

import os
import sys

from gunicorn import glogging

from kshare.config import env_networks

# Threads inside each process: a request waiting on the database or a slow client (an upload)
# does not block the process, and the processes use every core.
worker_class = "gthread"
# gthread's master only checks that each worker process is alive (its main loop beats even while
# a thread serves a 4 GB upload), so this is the time a wedged process gets, not a request limit.
timeout = 120
# A connection held open for the next request (nginx keeps a few to each upstream).
keepalive = 5
# Replace a process after this many requests (with jitter, not all at once): memory a long-lived
# process has fragmented or leaked is given back without anyone noticing.
max_requests = 20_000
max_requests_jitter = 2_000
# The heartbeat file is touched often: on tmpfs, never a disk that can stall (gunicorn's advice).
worker_tmp_dir = "/dev/shm" if os.access("/dev/shm", os.W_OK) else None  # noqa: S108

# No control socket: its default path ($HOME/.gunicorn/gunicorn.ctl) is shared by every server of
# the user; signals (HUP, TERM, TTIN/TTOU) do what kshare needs.
control_socket_disable = True

# Behind a reverse proxy: its X-Forwarded-Proto decides http/https, but only when the request
# came from one of KSHARE_PROXY_ADDRESSES (Django's side is kshare.web.proxy).
forwarded_allow_ips = ",".join(
    str(network) for network in env_networks("KSHARE_PROXY_ADDRESSES", "127.0.0.1,::1")
)
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}

# The access log in the combined log format (gunicorn's default format), on stderr unless
# --access-log names a file; the server's own messages go to stderr as well.
errorlog = "-"
access_log_format = '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s"'


class Logger(glogging.Logger):
    """gunicorn's logger, with ``--access-logfile -`` meaning stderr (gunicorn: stdout)."""

    def setup(self, cfg) -> None:
        super().setup(cfg)
        if cfg.accesslog == "-":
            for handler in self.access_log.handlers:
                if getattr(handler, "_gunicorn", False) and hasattr(handler, "setStream"):
                    handler.setStream(sys.stderr)


logger_class = Logger
