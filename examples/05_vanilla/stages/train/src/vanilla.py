"""A vanilla job: no input table; prints progress (it lands in .dev/train.log in dev)."""

import os
import sys

from ytjobs.config import load_config

index = int(os.environ["YT_JOB_COOKIE"])
for epoch in range(load_config()["epochs"]):
    print(f"worker {index}: epoch {epoch} done")
print(f"worker {index}: finished", file=sys.stderr)
