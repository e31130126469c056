"""ytflow: batch data pipelines on YTsaurus that run unchanged on a laptop and on the cluster."""
