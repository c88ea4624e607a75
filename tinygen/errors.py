"""The one error type users see: a single line naming the problem, exit code 2."""


class TinygenError(Exception):
    """A problem with the user's input (model, option, path). Printed as one line; exit 2."""

    exit_code = 2
