"""``python -m service``: the same command as ``dedup serve``, with the same options."""

from dedup.cli import serve

if __name__ == "__main__":  # pragma: no branch
    serve.main(prog_name="python -m service")
