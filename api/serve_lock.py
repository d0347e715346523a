"""Who serves a data directory: ``nextbest serve`` holds an exclusive lock on
``<data_dir>/serve.lock`` (with its pid inside) for as long as it runs, so that a second
process does not write the embedded Chroma store under it (it is not safe for two processes)
and a second server on the same directory is refused."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import TextIO

__all__ = ["AlreadyServingError", "hold_serve_lock", "serving_pid"]

_NAME = "serve.lock"


class AlreadyServingError(RuntimeError):
    """Another process serves this data directory: ``pid`` (0 when it is not known)."""

    def __init__(self, pid: int) -> None:
        super().__init__(f"a server (pid {pid}) serves this data directory")
        self.pid = pid


def _pid(handle: TextIO) -> int:
    handle.seek(0)
    text = handle.read().strip()
    return int(text) if text.isdigit() else 0


def hold_serve_lock(data_dir: Path) -> TextIO:
    """Take the lock (keep the handle open while serving); AlreadyServingError when held."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    handle = open(data_dir / _NAME, "a+", encoding="utf-8")  # noqa: SIM115 - held open
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        pid = _pid(handle)
        handle.close()
        raise AlreadyServingError(pid) from None
    handle.seek(0)
    handle.truncate()
    handle.write(str(os.getpid()))
    handle.flush()
    return handle


def serving_pid(data_dir: Path) -> int | None:
    """The pid of the server holding the lock (0 when unknown), or None when none does."""
    path = data_dir / _NAME
    if not path.exists():
        return None
    with open(path, encoding="utf-8") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _pid(handle) or 0
        fcntl.flock(handle, fcntl.LOCK_UN)
    return None
