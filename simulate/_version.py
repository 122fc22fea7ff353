"""The glifac distribution's version: one home, in the lowest layer, so that
simulate (which must not import glifac) and glifac read the same string."""
__version__ = "0.1.0"
