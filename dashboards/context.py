"""What a page needs from the running app, looked up on the Flask app serving the request."""

from __future__ import annotations

from flask import current_app

from config.settings import Settings
from warehouse.reader import WarehouseReader

READER_KEY = "dashboard.reader"
SETTINGS_KEY = "dashboard.settings"


def reader() -> WarehouseReader:
    return current_app.extensions[READER_KEY]


def settings() -> Settings:
    return current_app.extensions[SETTINGS_KEY]
