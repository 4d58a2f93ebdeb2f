"""Speed and quality benchmarks; each prints its figures next to a baseline run in the same run."""
