"""ytflow.core."""
