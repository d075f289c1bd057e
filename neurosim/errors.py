"""User-facing errors: one clear sentence, exit code 2, never a traceback.

Anything a user can get wrong (a spec, a rule file, a parameter) raises a `UserError`; the CLI
prints its message and exits with `EXIT_USER_ERROR`. Bugs stay ordinary exceptions.
"""

from __future__ import annotations

EXIT_USER_ERROR = 2


class UserError(Exception):
    """A mistake in user input: the message names the file/field and what is wrong."""

    def __init__(self, message: str, *, source: str | None = None, field: str | None = None):
        self.source = source
        self.field = field
        where = ", ".join(part for part in (source, f"field '{field}'" if field else None) if part)
        super().__init__(f"{where}: {message}" if where else message)


class SpecError(UserError):
    """A malformed experiment spec."""


class RuleError(UserError):
    """A malformed plasticity rule file."""


class ParameterError(UserError):
    """A learner or task parameter with the wrong name, type or value."""
