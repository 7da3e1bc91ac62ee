"""Settings: defaults < ESCAPE_KG_* environment < explicit arguments; no I/O at import."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from escape_kg.errors import ConfigError
from escape_kg.rdf.iris import DEFAULT_BASE

__all__ = ["DEFAULT_MAX_BYTES", "Settings", "default_store_path"]

# Minutes are a few kB; 10 MB is far beyond any real page and keeps a stray
# upload (a video, a data dump) from being read into memory whole.
DEFAULT_MAX_BYTES = 10 * 1024 * 1024


def default_store_path(env: Mapping[str, str] | None = None) -> Path:
    """Where the store lives when nothing says otherwise.

    ``$XDG_DATA_HOME/escape-kg/store``, i.e. ``~/.local/share/escape-kg/store``.
    """
    env = os.environ if env is None else env
    data_home = env.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(data_home) / "escape-kg" / "store"


@dataclass(frozen=True)
class Settings:
    """Everything configurable; build with ``Settings.load`` to layer the sources.

    ``store`` None means an in-memory store (tests, demos).
    """

    store: Path | None = None
    base: str = DEFAULT_BASE
    max_bytes: int = DEFAULT_MAX_BYTES
    extra: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Defaults, then ``ESCAPE_KG_*`` variables from ``env``, then non-None ``overrides``.

        Raises ConfigError for a malformed value (say, a base that is not an
        http(s) IRI or a non-numeric size limit).
        """
        env = os.environ if env is None else env
        settings = cls(store=default_store_path(env))
        values: dict[str, Any] = {}
        if env.get("ESCAPE_KG_STORE"):
            values["store"] = Path(env["ESCAPE_KG_STORE"])
        if env.get("ESCAPE_KG_BASE"):
            values["base"] = env["ESCAPE_KG_BASE"]
        if env.get("ESCAPE_KG_MAX_BYTES"):
            raw = env["ESCAPE_KG_MAX_BYTES"]
            try:
                values["max_bytes"] = int(raw)
            except ValueError as exc:
                raise ConfigError(
                    f"ESCAPE_KG_MAX_BYTES must be a number of bytes, not {raw!r}"
                ) from exc
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = replace(settings, **values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise ConfigError if a value cannot work."""
        if not self.base.startswith(("http://", "https://")):
            raise ConfigError(
                f"the base IRI must start with http:// or https://, not {self.base!r}",
                hint="set ESCAPE_KG_BASE or --base to something like https://kg.example.org/id/",
            )
        if self.max_bytes <= 0:
            raise ConfigError("the size limit must be a positive number of bytes")
