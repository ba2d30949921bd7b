"""gunicorn settings for casework: `gunicorn -c deploy/gunicorn.conf.py wsgi:app`."""

import multiprocessing
import os

bind = os.environ.get("CASEWORK_BIND", "127.0.0.1:8000")
# Two workers per core is plenty for a city hall; nothing is kept per process.
workers = int(os.environ.get("CASEWORK_WORKERS", multiprocessing.cpu_count() * 2))
threads = 1
timeout = 120  # the longest requests: a large CSV import (preview, then again on confirm) and a year-to-date export
graceful_timeout = 30
keepalive = 5
max_requests = 2000  # recycle workers now and then
max_requests_jitter = 200
forwarded_allow_ips = "127.0.0.1"  # nginx on the same host sets X-Forwarded-Proto
accesslog = "-"
# No query strings in the access log: search terms can be people's names.
access_log_format = '{"time":"%(t)s","remote":"%(h)s","method":"%(m)s","path":"%(U)s","status":%(s)s,"bytes":%(B)s,"ms":%(M)s}'
errorlog = "-"
