"""Integrity: credibility of every account, collusion groups, burst damping, the new-account
ramp, and reproducible synthetic attacks to measure them (``docs/integrity.md``).

Pure core: no store, no engine, no CLI. :func:`compute_integrity` turns one window's events
(and the accounts table, where there is one) into the input tables the scorer reads.
"""

from __future__ import annotations

from sway.integrity.model import IntegrityReport, compute_integrity, empty_inputs
from sway.integrity.params import IntegrityParams

__all__ = ["IntegrityParams", "IntegrityReport", "compute_integrity", "empty_inputs"]
