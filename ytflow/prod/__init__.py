"""The prod backend: Cypress tables, YT operations and cluster YQL through ``yt.wrapper``.

Nothing is imported here: ``ytflow.prod.specs`` (what ``ytflow plan`` uses) must load without
``ytsaurus-client``; ``ytflow.prod.client`` is the backend itself.
"""
