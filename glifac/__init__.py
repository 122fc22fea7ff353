"""glifac: interpretable convolution-attention networks for regulatory genomics."""
from glifac._version import __version__

__all__ = ["__version__"]
