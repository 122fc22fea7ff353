"""What every command line of the project shares: one-line argument errors and exit codes.

Bad input is one line on stderr and exit code 2, with no traceback; an
interrupt is exit code 130. The ``glifac`` command, ``python -m simulate`` and
the scripts in ``benchmarks/`` and ``docs/investigations/`` all go through
:func:`run_command`.
"""
from __future__ import annotations

import argparse
import sys

from simulate.errors import InputError

EXIT_BAD_INPUT = 2
EXIT_INTERRUPTED = 130


class OneLineErrorParser(argparse.ArgumentParser):
    """argparse parser whose errors are one line (no usage block) with exit code 2."""

    def error(self, message):  # noqa: D401 - argparse API
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message}\n")


def run_command(function, *args, interrupted: str = "interrupted") -> int:
    """Call ``function(*args)`` and turn its outcome into an exit code.

    Returns the function's own code (``None`` counts as 0); an
    :class:`InputError` prints ``error: <message>`` and gives 2; Ctrl-C prints
    ``interrupted`` and gives 130.
    """
    try:
        return int(function(*args) or 0)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print(interrupted, file=sys.stderr)
        return EXIT_INTERRUPTED
