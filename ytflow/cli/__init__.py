"""ytflow.cli."""
