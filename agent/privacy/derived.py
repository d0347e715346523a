"""Files written from a customer's data outside the stores (eval scenarios made from reviews),
registered as they are written, so that erasure can find and delete them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Protocol

from agent.stores.database import DatabaseTarget, attach
from agent.stores.sqlite import to_micros

__all__ = ["DerivedFiles", "SqlDerivedFiles"]


class DerivedFiles(Protocol):
    def register(self, path: Path, customer_id: str, source: str, now: datetime) -> None:
        """Note that ``path`` holds data of ``customer_id`` (written by ``source``)."""
        ...

    def sweep(self, customer_id: str) -> list[str]:
        """Delete the customer's registered files (those still there); the sources of the
        ones deleted, one entry per file."""
        ...

    def close(self) -> None: ...


class SqlDerivedFiles:
    def __init__(self, db: DatabaseTarget) -> None:
        self._db, self._owns_db = attach(db)

    def register(self, path: Path, customer_id: str, source: str, now: datetime) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT INTO derived_files (path, customer_id, source, created_us)"
                " VALUES (?, ?, ?, ?) ON CONFLICT (path) DO UPDATE"
                " SET customer_id = excluded.customer_id, source = excluded.source,"
                " created_us = excluded.created_us",
                (str(path.resolve()), customer_id, source, to_micros(now)),
            )

    def sweep(self, customer_id: str) -> list[str]:
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT path, source FROM derived_files WHERE customer_id = ?", (customer_id,)
            ).fetchall()
            removed = []
            for path, source in rows:
                file = Path(path)
                if file.exists():
                    file.unlink()
                    removed.append(source)
            conn.execute("DELETE FROM derived_files WHERE customer_id = ?", (customer_id,))
        return removed

    def close(self) -> None:
        if self._owns_db:
            self._db.close()
