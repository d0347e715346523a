"""Dev and test halves of a labelled set, fixed by each case's id.

Calibration (thresholds, catalogue examples) is tuned looking at the dev half only; the test
half is reported beside it, never tuned on, so the figures show what tuning bought.
"""

from __future__ import annotations

import hashlib
from typing import Literal

__all__ = ["Half", "half"]

Half = Literal["dev", "test"]


def half(case_id: str) -> Half:
    """The half a case belongs to: a hash of its id, so adding cases moves none."""
    digest = hashlib.sha1(case_id.encode(), usedforsecurity=False).hexdigest()
    return "dev" if int(digest, 16) % 2 == 0 else "test"
