"""Settings for the command line: invalid ones end the command with exit 2 and a clear message."""

from __future__ import annotations

from typing import Any

import typer
from pydantic import ValidationError
from pydantic_settings import SettingsError

from api.settings import Settings

__all__ = ["settings_or_exit"]


def settings_or_exit(**overrides: Any) -> Settings:
    """``Settings`` from the environment, with the overrides that are not None; exit 2 naming
    each invalid setting (values are never echoed: they may be keys)."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(p) for p in error["loc"]) or "settings"
            typer.echo(f"invalid settings: {where}: {error['msg']}", err=True)
        raise typer.Exit(2) from None
    except SettingsError as exc:  # an env value that is not even parseable
        typer.echo(f"invalid settings: {exc}", err=True)
        raise typer.Exit(2) from None
