"""Source kinds, one module each: each reads a source into a raw all-text table."""
