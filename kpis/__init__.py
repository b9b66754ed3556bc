"""Figures computed from the warehouse for the pages: headlines now, the KPI catalogue later."""
