"""The Dash apps: public pages at / now, the internal app at /internal/ in a later issue."""
