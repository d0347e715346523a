"""Evals: scenario suites, the runner, metrics and reports that gate every change."""
