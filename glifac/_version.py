"""Re-export of the distribution version (its home is :mod:`simulate._version`)."""
from simulate._version import __version__

__all__ = ["__version__"]
