"""Presenting: every slide of every deck fits a 1024×768 projector (make present's settings)."""

from __future__ import annotations

import pytest

from tools.course import course_notebooks
from tools.deck import check
from tools.lab import browser_missing

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing())),
]


def test_every_slide_fits_a_1024_by_768_projector_in_deck_mode():
    """Measured in chromium, in deck mode with the presentation fonts: nothing of a slide
    runs past the bottom or the right of the page (`python -m tools.deck fit` stores the
    zoom each slide needs)."""
    assert check(course_notebooks()) == []
