"""Scoring commands of the ``sway`` CLI (``score``, ``show``, ``explain``, exports of scores).

Imported by :mod:`sway.cli` after its groups exist, so that these commands can join them.
"""

from __future__ import annotations
