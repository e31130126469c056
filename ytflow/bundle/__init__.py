"""ytflow.bundle."""
