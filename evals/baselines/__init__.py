"""Stored eval results that the regression gate compares against."""
