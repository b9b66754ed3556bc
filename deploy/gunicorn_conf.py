"""gunicorn's settings in production (`make serve`, deploy/systemd), read from the environment.

    gunicorn -c deploy/gunicorn_conf.py app:server
"""

from config.settings import load_settings

_settings = load_settings()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.web_workers
# Threads, not sync workers: a sync worker is killed after `timeout` seconds even in the middle
# of a long download; a gthread worker's main thread keeps beating while others stream.
worker_class = "gthread"
threads = _settings.web_threads
timeout = 60
graceful_timeout = 30  # a restart lets requests under way finish for this long
keepalive = 5
# Each worker imports the app itself (no preload): database connections and DuckDB handles
# are never shared across a fork, and a replaced worker starts like the others.
preload_app = False
proc_name = "dashboard-web"
errorlog = "-"
loglevel = _settings.log_level.lower()
