"""Sway: transparent, gaming-resistant influence scores from the social data you already have."""

__version__ = "0.1.0"
