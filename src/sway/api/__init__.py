"""Sway over HTTP: our REST API (``/v1``), Klout-API-v2-shaped routes, CRM enrichment, triage.

``from sway.api.app import create_app`` builds the FastAPI application from
:class:`~sway.api.settings.Settings`; ``sway serve`` runs it with uvicorn. This package's
``__init__`` imports nothing, so that the CLI can use :mod:`sway.api.index` and
:mod:`sway.api.keys` without loading FastAPI. Routes and formulas: ``docs/api.md``.
"""
