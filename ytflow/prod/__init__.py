"""ytflow.prod."""
