"""ytflow local-yt: a local YT endpoint the unmodified ytsaurus-client uses as a cluster."""

from ytflow.localyt.app import LocalYt

__all__ = ["LocalYt"]
