"""User-facing input errors shared by every glifac command.

Imports flow one way (simulate <- architectures <- analysis <- glifac), so the
single exception type every command line turns into "one line, exit code 2"
lives here, at the bottom of the stack.
"""


class InputError(ValueError):
    """Bad user input: reported as one line on stderr with exit code 2."""
