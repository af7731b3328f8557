"""What one call of the encoder produced, and what it could not send."""

from __future__ import annotations

from dataclasses import dataclass, field

from upstream_prw.translate.model import Dropped

__all__ = ["EncodeReport"]


@dataclass(slots=True)
class EncodeReport:
    """What one call produced: counts, and every point that could not be sent, with why."""

    requests: int = 0
    series: int = 0  # TimeSeries entries sent, one sample or histogram each
    points: int = 0  # OpenTelemetry data points translated
    stale_markers: int = 0
    dropped: list[Dropped] = field(default_factory=list)

    @property
    def dropped_points(self) -> int:
        return sum(d.points for d in self.dropped)

    def forget_repeats(self, points: int, dropped: int) -> None:
        """After a companion plan, which went over points already counted: the count as
        it was, and only drops not reported already."""
        self.points = points
        seen = set(self.dropped[:dropped])
        self.dropped[dropped:] = [d for d in self.dropped[dropped:] if d not in seen]
