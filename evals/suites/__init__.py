"""Scenario suites: one folder per suite, one or more scenarios per YAML file."""
