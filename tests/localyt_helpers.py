"""Clients for tests that drive ``ytflow local-yt`` through the unmodified ytsaurus-client.

Two configurations, as the issue asks: the client's default (YSON, with the C++ bindings of
``ytsaurus-yson``) and JSON forced by config for headers, structured and tabular data, which
is what a client without the bindings falls back to.
"""

from __future__ import annotations

from typing import Any

import yt.wrapper as yt

from ytflow.localyt import LocalYt

CLIENT_FLAVORS = ("yson", "json")


def client_config(local: LocalYt, flavor: str) -> dict[str, Any]:
    config = local.client_config()
    if flavor == "json":
        config["structured_data_format"] = "json"
        config["tabular_data_format"] = yt.JsonFormat()
    return config


def make_client(local: LocalYt, flavor: str = "yson") -> yt.YtClient:
    """A fresh client for ``local`` in one of ``CLIENT_FLAVORS``."""
    return yt.YtClient(proxy=local.proxy_url, config=client_config(local, flavor))
