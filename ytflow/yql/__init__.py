"""ytflow.yql."""
