"""Durations as people write them on the command line and in manifests: ``90s``, ``15m``, ``2h``, ``1d``.

One rule for every duration option (``--timeout``, ``--bake``, ``--interval``):
a number (decimals allowed) and one unit, ``s``, ``m``, ``h`` or ``d``; ``0``
alone means none. Anything else is refused with one line naming the option.
"""

from __future__ import annotations

import re

from tracker.errors import InvalidInputError

UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PATTERN = re.compile(r"^(\d+(?:\.\d+)?)([smhd])$")


def parse_duration(text: str, what: str = "duration") -> float:
    """Seconds of ``text`` (``90s``, ``15m``, ``1h``, ``1d``, ``0``); InvalidInputError naming ``what``."""
    value = text.strip()
    if value == "0":
        return 0.0
    found = _PATTERN.match(value)
    if found is None:
        raise InvalidInputError(
            f"{what} '{text}' is not a duration: write a number and a unit, e.g. 90s, 15m, 1h or 1d"
        )
    return float(found.group(1)) * UNITS[found.group(2)]


def describe(seconds: float) -> str:
    """``15m``, ``1h30m``, ``90s`` -> the shortest exact form people read back (``0s`` for none)."""
    whole = round(seconds)
    if whole != seconds and seconds < 60:
        return f"{seconds:g}s"
    parts = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, whole = divmod(whole, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts) or "0s"
