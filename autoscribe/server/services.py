"""The services of a serving process: the live layer's (autoscribe.live.services), and the groups
of subscriptions that share one execution per event (autoscribe.server.engine.multicast)."""

from __future__ import annotations

from dataclasses import dataclass, field

from autoscribe.live.services import LiveServices
from autoscribe.server.engine.multicast import Groups


@dataclass
class ServerServices(LiveServices):
    groups: Groups = field(init=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.groups = Groups(self)
