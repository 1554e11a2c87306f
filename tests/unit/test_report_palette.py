"""The report's colours: one meaning each, and no two close enough to be taken for one another."""

from __future__ import annotations

from itertools import combinations

from tracker.report.html import MEANINGS

# CIE76 ΔE (Euclidean distance in L*a*b*): about 2.3 is the smallest difference people notice between
# two large patches side by side; a legend's swatch is read apart from the 12 px badges and thin bars it
# explains, which needs far more. The floor comes from the palette before this test: the pairs reported
# as taken for one another measured 27.2 (frozen violet, forced magenta), 28.5 (failed rose, blocked
# brown) and 32.5 (verified and waiting, both green). Every pair must now be further apart than the
# widest of those: 33.
MINIMUM = 33.0
REPORTED = [("#7c3aed", "#c026d3"), ("#9f1239", "#7c2d12"), ("#166534", "#16a34a")]


def lab(hex_color: str) -> tuple[float, float, float]:
    """sRGB (D65) to CIE L*a*b*."""
    rgb = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb)
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    fx, fy, fz = f(x), f(y), f(z)
    return 116 * fy - 16, 500 * (fx - fy), 200 * (fy - fz)


def delta_e(one: str, other: str) -> float:
    return sum((a - b) ** 2 for a, b in zip(lab(one), lab(other), strict=True)) ** 0.5


def test_every_pair_of_meanings_is_far_apart() -> None:
    gap, one, other = min(
        (delta_e(a[0], b[0]), name_a, name_b)
        for (name_a, a), (name_b, b) in combinations(MEANINGS.items(), 2)
    )
    colours = f"{MEANINGS[one][0]}, {MEANINGS[other][0]}"
    assert gap >= MINIMUM, f"the closest pair, {one} and {other} ({colours}), is only ΔE {gap:.1f} apart"


def test_the_floor_refuses_every_pair_reported_too_close() -> None:
    for pair in REPORTED:
        assert delta_e(*pair) < MINIMUM, pair
    assert round(delta_e("#ffffff", "#000000")) == 100  # the conversion's scale: white to black is 100
    assert len({color for color, _ in MEANINGS.values()}) == len(MEANINGS)
