"""dedup: near-duplicate, text-reuse and boilerplate detection for news articles."""

from dedup.errors import ConfigError, ConfigMismatchError, DedupError, DocumentNotFoundError, InputError

__all__ = [
    "ConfigError",
    "ConfigMismatchError",
    "DedupError",
    "DocumentNotFoundError",
    "InputError",
]

__version__ = "0.1.0"
