"""Numeric second opinions: a finite difference, and a comparison that prints its verdict.

Lessons and playgrounds use these to check autograd against the derivative by hand;
they know nothing about exercises.
"""

from __future__ import annotations

from collections.abc import Callable

import torch


def finite_difference(function: Callable, x: float, step: float = 1e-4) -> float:
    """Estimate a scalar function's derivative at ``x`` by a central difference, in float64.

    Autograd should never be taken on faith: this is an independent second opinion.

    Args:
        function: takes and returns a tensor, e.g. ``lambda x: x**3 + 2 * x``.
        x: where to estimate the slope.
        step: the half-width h in (f(x + h) - f(x - h)) / 2h.
    """
    with torch.no_grad():
        ahead = function(torch.tensor(x + step, dtype=torch.float64))
        behind = function(torch.tensor(x - step, dtype=torch.float64))
    return float((ahead - behind) / (2 * step))


def compare(label: str, computed, expected, tolerance: float = 1e-6) -> None:
    """Print whether ``computed`` equals ``expected`` exactly and within a tolerance.

    Args:
        label: what is compared, e.g. ``"x.grad vs 3x² + 2"``.
        computed: a number or tensor (for example ``x.grad``).
        expected: a number or tensor of the same shape (for example the hand-derived value).
        tolerance: the absolute and relative tolerance for "close".
    """
    computed = torch.as_tensor(computed, dtype=torch.float64).detach()
    expected = torch.as_tensor(expected, dtype=torch.float64).detach()
    if computed.shape != expected.shape:
        print(f"{label:<34} shapes differ: {tuple(computed.shape)} vs {tuple(expected.shape)}")
        return
    exact = bool(torch.equal(computed, expected))
    close = bool(torch.allclose(computed, expected, rtol=tolerance, atol=tolerance))
    print(f"{label:<34} exact: {exact!s:<5}  close: {close!s:<5} (tolerance {tolerance:g})")
