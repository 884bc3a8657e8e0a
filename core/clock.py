"""Time as a parameter: the real clock, or a simulated one shared by every process of a demo workspace."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a client (the app) keeps a Clock without loading the storage layer
    from core.store.db import Database


@dataclass(frozen=True)
class Clock:
    """now() = sim_origin + (real now - real_origin) * speed; the real clock when speed is 1 and no origin."""

    real_origin: float | None = None
    sim_origin: datetime | None = None
    speed: float = 1.0

    def now(self) -> datetime:
        if self.real_origin is None or self.sim_origin is None:
            return datetime.now(UTC)
        elapsed = (time.time() - self.real_origin) * self.speed
        return datetime.fromtimestamp(self.sim_origin.timestamp() + elapsed, UTC)

    @property
    def simulated(self) -> bool:
        return self.real_origin is not None

    @classmethod
    def load(cls, db: Database) -> Clock:
        with db.raw(write=False) as raw:
            rows = dict(
                raw.all(
                    "SELECT key, value FROM meta WHERE key IN ('clock_real_origin', 'clock_sim_origin', 'clock_speed')"
                )
            )
        if "clock_sim_origin" not in rows:
            return cls()
        return cls(
            real_origin=float(rows["clock_real_origin"]),
            sim_origin=datetime.fromisoformat(rows["clock_sim_origin"]),
            speed=float(rows.get("clock_speed", "1")),
        )

    @classmethod
    def simulate(cls, db: Database, start: datetime, speed: float) -> Clock:
        """Start a simulated clock at `start`, running `speed` times real time, for every process."""
        clock = cls(real_origin=time.time(), sim_origin=start, speed=speed)
        values = {
            "clock_real_origin": repr(clock.real_origin),
            "clock_sim_origin": start.isoformat(),
            "clock_speed": repr(speed),
        }
        with db.raw(write=True) as raw:
            for key, value in values.items():
                raw.run("DELETE FROM meta WHERE key = :k", {"k": key})
                raw.run("INSERT INTO meta (key, value) VALUES (:k, :v)", {"k": key, "v": value})
        return clock
