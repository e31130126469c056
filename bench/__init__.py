"""ytflow benchmarks: each workload against a raw baseline on the same data, in one run."""
