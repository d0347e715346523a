"""``nextbest db``: the database's schema, brought up to date (the server also does it at
start-up)."""

from __future__ import annotations

import typer

from agent.stores.database import open_database
from agent.stores.pg_schema import PG_SCHEMA_VERSION
from agent.stores.schema import SCHEMA_VERSION
from api.cli_settings import settings_or_exit

__all__ = ["db_app"]

db_app = typer.Typer(help="The database: migrations.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Apply the migrations the database is missing (NEXTBEST_DATABASE_URL, or the SQLite
    file in NEXTBEST_DATA_DIR); safe to run again, and from several hosts at once."""
    config = settings_or_exit().to_agent_config()
    try:
        database = open_database(config.database_target, pool_size=1)
    except Exception as exc:  # a database that cannot be reached or read: say so, exit 1
        typer.echo(f"db upgrade failed: {type(exc).__name__}: {exc}", err=True)
        raise typer.Exit(1) from None
    version = PG_SCHEMA_VERSION if database.dialect == "postgres" else SCHEMA_VERSION
    typer.echo(f"{database.dialect} {database.location}: schema version {version}, up to date")
    database.close()
