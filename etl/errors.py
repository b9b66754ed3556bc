"""Errors the ETL reports to its operator: each names what was wrong and where."""

from __future__ import annotations


class EtlError(RuntimeError):
    """A run failed for a reason the operator can act on; nothing was published."""


class ConfigError(EtlError):
    """A configuration file is missing or wrong; the message names the file and the key."""


class SourceError(EtlError):
    """A source could not be loaded; the message names the source, file, row, column, value."""


class DiskFullError(EtlError):
    """The warehouse's disk filled up during a run; the message says how much room it needs."""
