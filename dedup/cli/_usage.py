"""Usage errors in one line, as every other error of the ``dedup`` command is.

Click shows a usage error (an unknown option, a missing argument, a bad value, an unknown
command) as four lines: the usage, a hint, a blank line and the error. Every other error of
``dedup`` is one line (``dedup: error: ...``), which is what a log or a script's ``2>&1`` can
keep and grep; so usage errors become one line too, with the hint at its end::

    dedup bulk: error: No such option '--nope'. Did you mean '--num-perm'? (see 'dedup bulk --help')

The exit code stays click's 2. The commands' class converts the :class:`click.UsageError`
where click raises it, when parsing (:meth:`make_context`) or running (:meth:`invoke`: a
group resolving its subcommand, a command's own checks), so that click's standard handling
(``main``, ``CliRunner``) shows it, and a caller with ``standalone_mode=False`` still gets a
:class:`click.UsageError`. ``dedup`` with no command is not an error but a request for help:
click's :class:`NoArgsIsHelpError` is left as it is, and prints the help.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

import click
from click.exceptions import NoArgsIsHelpError


class OneLineUsageError(click.UsageError):
    """A :class:`click.UsageError`, shown as ``<command path>: error: <message> (see
    '<command path> --help')``."""

    def __init__(self, error: click.UsageError) -> None:
        super().__init__(error.format_message(), error.ctx)  # exit code: a usage error's, 2

    def show(self, file: IO[Any] | None = None) -> None:
        ctx = self.ctx
        if ctx is None:  # raised outside any command's context: nothing to name
            line = f"dedup: error: {self.format_message()}"
        else:
            line = f"{ctx.command_path}: error: {self.format_message()}"
            if ctx.command.get_help_option(ctx) is not None:
                line += f" (see '{ctx.command_path} {ctx.help_option_names[0]}')"
        click.echo(line, file=file, err=True, color=ctx.color if ctx is not None else None)


@contextmanager
def _one_line() -> Iterator[None]:
    """Usage errors raised in the block leave it as :class:`OneLineUsageError`."""
    try:
        yield
    except (OneLineUsageError, NoArgsIsHelpError):
        raise
    except click.UsageError as exc:
        raise OneLineUsageError(exc) from exc


class Command(click.Command):
    """A command whose usage errors are one line (see the module)."""

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        with _one_line():
            return super().make_context(info_name, args, parent, **extra)

    def invoke(self, ctx: click.Context) -> Any:
        with _one_line():
            return super().invoke(ctx)


class Group(Command, click.Group):
    """A group whose usage errors, and its commands', are one line (see the module)."""

    command_class = Command
