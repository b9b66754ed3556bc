"""The Dash apps (public pages at /, internal pages at /internal/) and what they share."""
