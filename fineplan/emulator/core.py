"""What every handler needs: the store, the config and the clock (one bundle per emulator instance)."""

from __future__ import annotations

from dataclasses import dataclass

from fineplan.emulator.clock import Clock
from fineplan.emulator.config import EmulatorConfig
from fineplan.emulator.store import Store


@dataclass(frozen=True, slots=True)
class Core:
    store: Store
    config: EmulatorConfig
    clock: Clock

    def now(self) -> float:
        return self.clock()

    def real_seconds(self, simulated: float) -> float:
        return simulated / self.config.speed
