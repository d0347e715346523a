"""Playbooks: written by CX teams, versioned, stored in Chroma, retrieved per decision."""

from __future__ import annotations

from agent.playbooks.conditions import build_activation, compile_condition, evaluate_conditions
from agent.playbooks.model import Playbook, PlaybookAction, PlaybookHit
from agent.playbooks.parse import PlaybookError, load_playbooks, parse_playbook
from agent.playbooks.store import IngestReport, PlaybookStore

__all__ = [
    "IngestReport",
    "Playbook",
    "PlaybookAction",
    "PlaybookError",
    "PlaybookHit",
    "PlaybookStore",
    "build_activation",
    "compile_condition",
    "evaluate_conditions",
    "load_playbooks",
    "parse_playbook",
]
