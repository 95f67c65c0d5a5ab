"""Analog AI weight-encoding explorer: Param models (explorer.models) and Panel views (explorer.views)."""

__version__ = "0.1.0"
