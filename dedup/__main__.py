"""``python -m dedup`` is the ``dedup`` command."""

from dedup.cli import main

main(prog_name="dedup")
