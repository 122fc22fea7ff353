"""Entry point shared by the diagnostic scripts: bad input is one line on stderr and exit 2,
as for the ``glifac`` and ``simulate`` commands."""
from __future__ import annotations

import sys

from simulate.errors import InputError


def run(main) -> None:
    """Call ``main()`` and exit with its return code, or 2 on :class:`InputError`."""
    try:
        sys.exit(main())
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        sys.exit(2)
