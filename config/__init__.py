"""Configuration: deployment settings from the environment, YAML files for sources."""
