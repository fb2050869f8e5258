"""The record stored in place of a metric that is not defined or could not be computed."""

from __future__ import annotations


def unavailable(reason: str) -> dict:
    """{"available": False, "reason": reason}: never a substitute number."""
    return {"available": False, "reason": reason}
