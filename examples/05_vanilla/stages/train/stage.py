"""Run two copies of a vanilla job; each learns its index from YT_JOB_COOKIE."""

from ytflow import Stage


class Train(Stage):
    def run(self, debug: dict) -> dict:
        result = self.run_vanilla(self.config.client.operations.vanilla)
        debug["jobs"] = result.jobs
        return debug
