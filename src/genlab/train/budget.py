"""A training budget in optimizer steps, images seen, or wall-clock seconds."""

from __future__ import annotations

from dataclasses import dataclass

from genlab.config import DEFAULT_STEPS, TrainConfig, parse_duration


@dataclass(frozen=True)
class Budget:
    kind: str  # "steps" | "images" | "seconds"
    total: float

    @classmethod
    def from_config(cls, t: TrainConfig) -> Budget:
        if t.images is not None:
            return cls("images", float(t.images))
        if t.budget is not None:
            return cls("seconds", parse_duration(t.budget))
        return cls("steps", float(t.steps if t.steps is not None else DEFAULT_STEPS))

    def used(self, step: int, images: int, seconds: float) -> float:
        return {"steps": step, "images": images, "seconds": seconds}[self.kind]

    def progress(self, step: int, images: int, seconds: float) -> float:
        return min(1.0, self.used(step, images, seconds) / self.total)

    def done(self, step: int, images: int, seconds: float) -> bool:
        return self.used(step, images, seconds) >= self.total

    def describe(self) -> str:
        return {"steps": f"{int(self.total)} steps", "images": f"{int(self.total)} images",
                "seconds": f"{self.total:.0f} s"}[self.kind]
