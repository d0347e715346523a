"""Prompt templates for briefings, loaded as package data."""
