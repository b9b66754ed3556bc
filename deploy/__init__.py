"""Production serving: gunicorn's settings, the `make serve` supervisor, systemd units, Docker."""
