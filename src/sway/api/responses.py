"""Responses serialised once, by pydantic's Rust serializer.

A route that returns a :class:`fastapi.Response` skips FastAPI's re-validation of the response
model: the models here are built by our own code, so checking them again on the way out only
costs time (a third of a hot lookup). Routes still declare ``response_model`` for the document.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi import Response
from pydantic import BaseModel, TypeAdapter

from sway.api.errors import KLOUT_JSON

__all__ = ["json_response", "klout_response"]

_LISTS: dict[type, TypeAdapter[list[BaseModel]]] = {}


def _dump(content: BaseModel | Sequence[BaseModel], item: type[BaseModel] | None) -> bytes:
    if isinstance(content, BaseModel):
        return content.model_dump_json().encode()
    kind = item or (type(content[0]) if content else BaseModel)
    adapter = _LISTS.get(kind)
    if adapter is None:
        adapter = _LISTS[kind] = TypeAdapter(list[kind])  # type: ignore[valid-type]
    return adapter.dump_json(list(content))


def json_response(
    content: BaseModel | Sequence[BaseModel], *, item: type[BaseModel] | None = None
) -> Response:
    """``content`` as ``application/json``."""
    return Response(_dump(content, item), media_type="application/json")


def klout_response(
    content: BaseModel | Sequence[BaseModel], *, item: type[BaseModel] | None = None
) -> Response:
    """``content`` as Klout sent it: ``application/json; charset=utf-8``."""
    return Response(_dump(content, item), media_type=KLOUT_JSON)
