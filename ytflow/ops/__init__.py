"""ytflow.ops."""
