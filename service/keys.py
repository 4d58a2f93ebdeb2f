"""The typed keys of the app's state (``app[WRITER]``, ...), in a module of their own so that
routes and the app factory can both import them, and :func:`writer_of`, the one way routes
reach the writer."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from dedup.collection import Collection
from dedup.config import Config
from service.batches import BatchedPool
from service.config import ServiceSettings
from service.metrics import Metrics
from service.pools import CollectionPool
from service.problems import Problem
from service.remote import Reader
from service.schemas import Limits

if TYPE_CHECKING:  # service.lanes reaches this module through service.writer
    from service.lanes import PostLanes


@dataclass
class State:
    """Whether the app takes traffic (set once the pools are up, cleared on shutdown), and
    whether it is shutting down: requests still waiting for their body stop waiting then,
    because aiohttp stops reading from connections when shutdown starts."""

    ready: bool = False
    stopping: asyncio.Event = field(default_factory=asyncio.Event)


SETTINGS = web.AppKey("settings", ServiceSettings)
CONFIG = web.AppKey("config", Config)
LIMITS = web.AppKey("limits", Limits)
METRICS = web.AppKey("metrics", Metrics)
STATE = web.AppKey("state", State)
OPENAPI = web.AppKey("openapi", dict[str, Any])
WRITER: web.AppKey[BatchedPool[Collection]] = web.AppKey("writer")
READERS: web.AppKey[CollectionPool[Reader]] = web.AppKey("readers")
#: The post lanes (:mod:`service.lanes`), when the service runs them.
LANES: web.AppKey[PostLanes] = web.AppKey("lanes")


def writer_of(app: web.Application) -> BatchedPool[Collection]:
    """The writer pool, or the 403 ``writes-disabled`` of a service started ``read_only``
    (which has none): a snapshot or replica serving checks. Not a 503: nothing changes by
    retrying, and clients that honour ``Retry-After`` would retry for ever."""
    if app[SETTINGS].read_only:
        detail = "this service only reads (read_only = true): post and delete on one that writes"
        raise Problem(403, detail, kind="writes-disabled")
    return app[WRITER]
