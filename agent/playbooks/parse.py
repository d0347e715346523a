"""Parse playbook files: YAML front matter + Markdown body, validated before anything is stored."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import cast

import yaml
from pydantic import ValidationError

from agent.playbooks.conditions import compile_condition
from agent.playbooks.model import Playbook
from tools import CATALOG, ToolArgs

__all__ = ["PlaybookError", "load_playbooks", "parse_playbook", "parse_playbooks", "playbook_files"]


class PlaybookError(ValueError):
    """A playbook that cannot be loaded; the message names the file and the field."""

    def __init__(self, message: str, *, index: int | None = None) -> None:
        super().__init__(message)
        self.index = index
        """Which of several files it is (``parse_playbooks``), when known."""


def _split(text: str, source: str) -> tuple[str, str]:
    lines = text.lstrip("\ufeff").splitlines(keepends=True)
    if not lines or lines[0].strip() != "---":
        raise PlaybookError(f"{source}: must start with a '---' line opening the YAML front matter")
    for index, line in enumerate(lines[1:], start=1):
        if line.strip() == "---":
            return "".join(lines[1:index]), "".join(lines[index + 1 :]).strip()
    raise PlaybookError(f"{source}: front matter is not closed by a '---' line")


def _check_expressions(playbook: Playbook, source: str) -> None:
    expressions = [(f"conditions.{i}", e) for i, e in enumerate(playbook.conditions)]
    expressions += [(f"actions.{i}.when", a.when) for i, a in enumerate(playbook.actions) if a.when]
    for field, expr in expressions:
        try:
            compile_condition(expr)
        except ValueError as exc:
            raise PlaybookError(f"{source}: {field}: invalid CEL {expr!r}: {exc}") from None


def _check_args(playbook: Playbook, source: str) -> None:
    """Default args are partial (the planner fills the rest), so each given key must be a field
    of the tool's args model and each given value must be valid for that field; rules that span
    fields (a model validator) wait for the planner, which validates the whole call."""
    for i, action in enumerate(playbook.actions):
        args_model = cast("type[ToolArgs]", CATALOG[action.type].model_fields["args"].annotation)
        known = set(args_model.model_fields)
        unknown = sorted(set(action.args) - known)
        if unknown:
            raise PlaybookError(
                f"{source}: actions.{i}.args: unknown argument(s) {', '.join(unknown)} for "
                f"{action.type} (known: {', '.join(sorted(known))})"
            )
        try:
            args_model.model_validate(action.args)
        except ValidationError as exc:
            given = [e for e in exc.errors() if e["loc"] and e["loc"][0] in action.args]
            if given:
                field = ".".join(str(p) for p in given[0]["loc"])
                raise PlaybookError(
                    f"{source}: actions.{i}.args.{field}: {given[0]['msg']}"
                ) from None


def parse_playbook(text: str, *, source: str) -> Playbook:
    front, body = _split(text, source)
    try:
        data = yaml.safe_load(front)
    except yaml.YAMLError as exc:
        raise PlaybookError(f"{source}: invalid YAML front matter: {exc}") from None
    if not isinstance(data, dict):
        raise PlaybookError(f"{source}: front matter must be a mapping of fields")
    try:
        playbook = Playbook.model_validate({**data, "body": body})
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        more = f" (and {exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise PlaybookError(f"{source}: {field}: {first['msg']}{more}") from None
    _check_expressions(playbook, source)
    _check_args(playbook, source)
    return playbook


def playbook_files(path: Path) -> Iterable[Path]:
    """The playbook files at ``path``: the file, or the folder's ``*.md``."""
    if path.is_dir():
        return sorted(path.glob("*.md"))
    if path.is_file():
        return [path]
    raise PlaybookError(f"{path}: no such file or directory")


def parse_playbooks(files: Iterable[tuple[str, str]]) -> list[Playbook]:
    """Playbooks from ``(file name, text)`` pairs; one bad file, or one version defined twice,
    fails them all."""
    playbooks: list[Playbook] = []
    seen: dict[str, str] = {}
    for index, (name, text) in enumerate(files):
        try:
            playbook = parse_playbook(text, source=name)
        except PlaybookError as exc:
            raise PlaybookError(str(exc), index=index) from None
        if playbook.key in seen:
            raise PlaybookError(
                f"{name}: {playbook.key} is also defined in {seen[playbook.key]}", index=index
            )
        seen[playbook.key] = name
        playbooks.append(playbook)
    return playbooks


def load_playbooks(path: Path) -> list[Playbook]:
    """Every playbook in a file or a folder of ``*.md``; one bad file fails the whole load."""
    return parse_playbooks(
        (file.name, file.read_text(encoding="utf-8")) for file in playbook_files(path)
    )
