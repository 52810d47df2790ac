"""The routes, one module per resource; each only parses, calls :mod:`sway.api.service` (or the
pure core) and returns a public model."""

from __future__ import annotations

from fastapi import APIRouter

from sway.api.routes import (
    accounts,
    admin,
    campaigns,
    crm,
    ingest,
    klout,
    leaderboards,
    meta,
    people,
    privacy,
    search,
    triage,
)

__all__ = ["ROUTERS"]

ROUTERS: tuple[APIRouter, ...] = (
    meta.router,
    accounts.router,
    people.router,
    leaderboards.router,
    campaigns.router,
    search.router,
    ingest.router,
    crm.router,
    triage.router,
    admin.router,
    privacy.router,
    klout.router,
)
