"""Entry point for ``spark-submit`` and ``python -m dedup.engines.spark``.

Takes the arguments of ``dedup bulk`` and runs it with ``--engine spark``::

    spark-submit --master yarn --py-files dedup-0.1.0-py3-none-any.whl \\
        dedup/engines/spark/__main__.py hdfs:///corpus/ --out hdfs:///dedup/run1 --format parquet

Under ``spark-submit`` the master and every other Spark setting come from its options; the
session it prepared is the one used.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``dedup bulk ARGS --engine spark``; exits like the command line does."""
    from dedup.cli import main as cli

    args = list(sys.argv[1:] if argv is None else argv)
    cli(["bulk", *args, "--engine", "spark"], prog_name="dedup-spark")


if __name__ == "__main__":
    main()
