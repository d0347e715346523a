"""Load and validate a scenario suite: ``evals/suites/<name>/*.yaml``.

A file holds one scenario (a mapping) or several (a list of mappings). Every problem is reported
with the file, the scenario's position in it, and the field path, so a CX lead can fix a YAML
file without reading Python.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import yaml
from pydantic import ValidationError

from agent.demo import DEMO_DIR, load_demo_customers
from agent.playbooks import load_playbooks
from agent.signals.intent import load_catalogue
from evals.independence import near_copies, references
from evals.scenario import Scenario

__all__ = [
    "SUITES_DIR",
    "Suite",
    "SuiteError",
    "demo_customer_ids",
    "load_suite",
    "resolve_suite",
    "scenario_texts",
]

SUITES_DIR = Path(__file__).resolve().parent / "suites"
"""Where named suites live (shipped beside this module)."""

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)  # any anchor: only the ids are read


class SuiteError(ValueError):
    """A suite that cannot be loaded; the message names the file and the field path."""


@dataclass(frozen=True, slots=True)
class Suite:
    name: str
    path: Path
    scenarios: tuple[Scenario, ...]


def resolve_suite(name_or_path: str | Path) -> Path:
    """A suite name (``default``) under :data:`SUITES_DIR`, or a folder path."""
    candidate = Path(name_or_path)
    if candidate.is_dir():
        return candidate
    named = SUITES_DIR / str(name_or_path)
    if named.is_dir():
        return named
    known = (
        sorted(p.name for p in SUITES_DIR.iterdir() if p.is_dir()) if SUITES_DIR.is_dir() else []
    )
    raise SuiteError(
        f"no suite {str(name_or_path)!r}: not a folder, and not one of {', '.join(known) or '-'}"
    )


def demo_customer_ids(demo_dir: Path = DEMO_DIR) -> frozenset[str]:
    """Ids a scenario may name as ``customer_id`` (the demo fixtures)."""
    return frozenset(c.profile.customer_id for c in load_demo_customers(_EPOCH, demo_dir))


def _where(loc: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in loc) or "(scenario)"


def _parse_file(path: Path) -> list[Scenario]:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SuiteError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise SuiteError(f"{path}: invalid YAML: {exc}") from None
    if data is None:
        return []
    items = data if isinstance(data, list) else [data]
    scenarios = []
    for index, item in enumerate(items):
        where = f"{path}" if not isinstance(data, list) else f"{path} [scenario {index}]"
        if not isinstance(item, dict):
            raise SuiteError(f"{where}: a scenario must be a mapping, got {type(item).__name__}")
        try:
            scenarios.append(Scenario.model_validate(item))
        except ValidationError as exc:
            problems = "; ".join(f"{_where(e['loc'])}: {e['msg']}" for e in exc.errors())
            raise SuiteError(f"{where}: {problems}") from None
    return scenarios


def load_suite(name_or_path: str | Path, *, demo_dir: Path = DEMO_DIR) -> Suite:
    """Every ``*.yaml``/``*.yml`` file of the suite, sorted by path; ids must be unique."""
    folder = resolve_suite(name_or_path)
    files = sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")])
    known_customers = demo_customer_ids(demo_dir)
    seen: dict[str, Path] = {}
    scenarios: list[Scenario] = []
    for path in files:
        for scenario in _parse_file(path):
            if scenario.id in seen:
                raise SuiteError(
                    f"{path}: id: {scenario.id!r} is already used in {seen[scenario.id]}"
                )
            if scenario.customer_id is not None and scenario.customer_id not in known_customers:
                raise SuiteError(
                    f"{path}: customer_id: {scenario.customer_id!r} is not a demo customer "
                    f"({demo_dir / 'customers'})"
                )
            seen[scenario.id] = path
            scenarios.append(scenario)
    if not scenarios:
        raise SuiteError(f"{folder}: no scenarios (*.yaml files) in this suite")
    _held_out(scenarios, seen, demo_dir)
    return Suite(name=folder.name, path=folder, scenarios=tuple(scenarios))


def scenario_texts(scenario: Scenario) -> list[str]:
    """The customer's words a scenario holds: its reason and its events' free text."""
    said = [scenario.context.reason, *(e.text for e in scenario.events)]
    return [text for text in said if text]


def _held_out(scenarios: list[Scenario], files: dict[str, Path], demo_dir: Path) -> None:
    """Refuse a scenario whose words nearly copy an intent example or a playbook sentence: it
    would measure recall of the catalogue, not understanding."""
    refs = references(load_catalogue(), load_playbooks(demo_dir / "playbooks"))
    for scenario in scenarios:
        for text, copied in near_copies(scenario_texts(scenario), refs):
            raise SuiteError(
                f"{files[scenario.id]}: {scenario.id}: {text[:80]!r} nearly copies the "
                f"{copied.where} {copied.text[:80]!r}: write the customer's words afresh"
            )
