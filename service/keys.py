"""The typed keys of the app's state (``app[WRITER]``, ...), in a module of their own so that
routes and the app factory can both import them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiohttp import web

from dedup.collection import Collection
from dedup.config import Config
from service.config import ServiceSettings
from service.metrics import Metrics
from service.pools import CollectionPool
from service.schemas import Limits


@dataclass
class State:
    """Whether the app takes traffic: set once the pools are up, cleared on shutdown."""

    ready: bool = False


SETTINGS = web.AppKey("settings", ServiceSettings)
CONFIG = web.AppKey("config", Config)
LIMITS = web.AppKey("limits", Limits)
METRICS = web.AppKey("metrics", Metrics)
STATE = web.AppKey("state", State)
OPENAPI = web.AppKey("openapi", dict[str, Any])
WRITER: web.AppKey[CollectionPool[Collection]] = web.AppKey("writer")
READERS: web.AppKey[CollectionPool[Collection]] = web.AppKey("readers")
