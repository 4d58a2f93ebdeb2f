"""dedup's HTTP service: a thin aiohttp adapter over :mod:`dedup`.

``create_app(settings, config)`` builds the application; ``serve(settings, config)`` runs it
until SIGTERM or SIGINT. Start it with ``dedup serve --db PATH`` or ``python -m service --db PATH``.
"""

from service.app import create_app
from service.config import ServiceSettings, load_settings
from service.main import serve

__all__ = ["ServiceSettings", "create_app", "load_settings", "serve"]
