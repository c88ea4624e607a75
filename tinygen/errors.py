"""The errors users see: a single line naming the problem, and an exit code that says what kind."""


class TinygenError(Exception):
    """A problem with the user's input (model, option, path). Printed as one line; exit 2."""

    exit_code = 2


class CheckFailed(TinygenError):
    """A check that ran and failed (the model does not fit the board). Printed as one line; exit 1."""

    exit_code = 1
