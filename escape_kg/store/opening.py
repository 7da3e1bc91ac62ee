"""open_store: the store the settings name, embedded (a folder, or memory) or remote (a URL)."""

from __future__ import annotations

from escape_kg.config import Settings
from escape_kg.store.base import QuadStore
from escape_kg.store.core import Store
from escape_kg.store.endpoints import remote_endpoints
from escape_kg.store.remote import RemoteStore

__all__ = ["open_store"]


def open_store(settings: Settings) -> QuadStore:
    """A RemoteStore when ``settings.store_url`` is set (queries time out after
    ``settings.query_timeout`` seconds), else the embedded Store at ``settings.store``.

    Raises ConfigError for a malformed URL, StoreError / StoreLockedError when the
    store cannot be opened or reached.
    """
    if settings.store_url:
        return RemoteStore(
            remote_endpoints(
                settings.store_url,
                update_url=settings.store_update_url,
                gsp_url=settings.store_gsp_url,
                user=settings.store_user,
                password=settings.store_password,
                timeout=settings.query_timeout,
            )
        )
    return Store(settings.store)
