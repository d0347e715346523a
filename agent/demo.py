"""The demo data set: Northwind's customers and playbooks, loaded into the embedded stores.

Customer files carry events as ``minutes_ago`` so the same histories can be anchored to the
pinned demo clock (``nextbest demo``, reproducible) or to the real clock (``serve --demo``).
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import yaml
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from agent.context import RequestContext
from agent.events import Event
from agent.profile import Profile

if TYPE_CHECKING:
    from agent.service import Decider

__all__ = ["DEMO_DIR", "DemoCustomer", "SeedReport", "demo_now", "load_demo_customers", "seed"]

DEMO_DIR = Path(__file__).resolve().parent.parent / "data" / "demo"


class _DemoEvent(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    minutes_ago: int = Field(ge=0)
    channel: str
    type: str
    properties: dict[str, str | int | float | bool | None] = Field(default_factory=dict)
    text: str | None = None


class _DemoFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    profile: Profile
    events: list[_DemoEvent]
    context: RequestContext


class _DemoSettings(BaseModel):
    now: AwareDatetime
    description: str = ""


@dataclass(frozen=True, slots=True)
class DemoCustomer:
    profile: Profile
    events: list[Event]
    context: RequestContext


@dataclass(frozen=True, slots=True)
class SeedReport:
    customers: int
    events: int
    playbooks: int


def demo_now(demo_dir: Path = DEMO_DIR) -> datetime:
    """The pinned demo clock: quiet hours and trial ends in the demo are relative to it."""
    return _DemoSettings.model_validate(yaml.safe_load((demo_dir / "demo.yaml").read_text())).now


def load_demo_customers(anchor: datetime, demo_dir: Path = DEMO_DIR) -> list[DemoCustomer]:
    customers = []
    for path in sorted((demo_dir / "customers").glob("*.json")):
        raw = _DemoFile.model_validate(json.loads(path.read_text()))
        events = [
            Event.model_validate(
                {
                    **e.model_dump(exclude={"minutes_ago"}),
                    "ts": anchor - timedelta(minutes=e.minutes_ago),
                }
            )
            for e in raw.events
        ]
        customers.append(DemoCustomer(profile=raw.profile, events=events, context=raw.context))
    return customers


async def seed(decider: Decider, anchor: datetime, demo_dir: Path = DEMO_DIR) -> SeedReport:
    """Store the demo profiles and events, and ingest the demo playbooks (unchanged ones skip)."""
    customers = load_demo_customers(anchor, demo_dir)
    new_events = 0
    for customer in customers:
        await decider.put_customer(customer.profile)
        new_events += await decider.add_events(customer.profile.customer_id, customer.events)
    report = await asyncio.to_thread(decider.ingest_playbooks, demo_dir / "playbooks")
    playbooks = len(report.added) + len(report.updated) + len(report.unchanged)
    return SeedReport(customers=len(customers), events=new_events, playbooks=playbooks)
