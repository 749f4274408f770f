"""The one error hierarchy of zsync.

Every failure a user can meet is a `ZsyncError`; only the entry points (CLI, entrypoint.py) catch it,
print `diagnostics()` and exit with `exit_code` (1 sync or remote failure, 2 bad config or usage).
Messages never contain the token: the client scrubs it before an error is built.
"""

from __future__ import annotations

from zsync.frozen import frozen


class ZsyncError(Exception):
    """Base of every error zsync reports to a user."""

    exit_code = 1

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def diagnostics(self) -> str:
        """The full text for a person: the message, then the hint on its own line."""
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class UsageError(ZsyncError):
    """The command line or the action inputs are wrong."""

    exit_code = 2


@frozen
class Problem:
    """One problem in a config file, located by file, line and field path."""

    file: str
    line: int | None
    field: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        text = f"{where}: {self.field}: {self.message}" if self.field else f"{where}: {self.message}"
        return f"{text} ({self.hint})" if self.hint else text


class ConfigError(ZsyncError):
    """The zenodo.yaml (or a file it names) is invalid; carries every problem found at once."""

    exit_code = 2

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems = tuple(problems)
        count = len(self.problems)
        first = str(self.problems[0]) if self.problems else "invalid configuration"
        super().__init__(first if count == 1 else f"{count} problems in the configuration")

    def diagnostics(self) -> str:
        return "\n".join(str(p) for p in self.problems)


@frozen
class FieldError:
    """A per-field validation message from the server (`errors: [{field, messages}]`)."""

    field: str
    messages: tuple[str, ...]

    def __str__(self) -> str:
        return f"{self.field}: {'; '.join(self.messages)}"


class RemoteError(ZsyncError):
    """Zenodo answered with an error, or could not be reached."""

    def __init__(
        self,
        message: str,
        *,
        hint: str | None = None,
        status: int | None = None,
        method: str | None = None,
        path: str | None = None,
        field_errors: tuple[FieldError, ...] = (),
    ) -> None:
        super().__init__(message, hint=hint)
        self.status = status
        self.method = method
        self.path = path
        self.field_errors = field_errors

    def diagnostics(self) -> str:
        where = f"{self.method} {self.path}" if self.method and self.path else ""
        status = f" -> {self.status}" if self.status is not None else ""
        head = f"{self.message} [{where}{status}]" if where else self.message
        lines = [head, *(f"  {e}" for e in self.field_errors)]
        if self.hint:
            lines.append(f"  hint: {self.hint}")
        return "\n".join(lines)


class AuthError(RemoteError):
    """403: the token is missing, wrong, lacks rights, or belongs to the other Zenodo (sandbox/production)."""


class NotFoundError(RemoteError):
    """404: the record or draft does not exist at this endpoint."""


class GoneError(RemoteError):
    """410: the record was deleted (a tombstone)."""


class ConflictError(RemoteError):
    """409/412: somebody else changed the draft meanwhile (revision mismatch)."""


class BadRequestError(RemoteError):
    """400: the server refused the request; `field_errors` says which fields."""


class TransientError(RemoteError):
    """429, 5xx or a network failure that outlived the retry policy."""


class DeadlineError(RemoteError):
    """The run reached its deadline (timeout-minutes) while waiting for Zenodo; `method` and `path`
    say for what, and so does the message."""

    def diagnostics(self) -> str:
        return ZsyncError.diagnostics(self)


class UploadVerificationError(RemoteError):
    """The server's size or MD5 of a committed file differs from the local file, twice."""


class SyncError(ZsyncError):
    """The remote state forbids the requested sync (published files differ, version went down, ...)."""


class LocalFileChanged(SyncError):
    """A file to publish changed (size, mtime, content length) or vanished after it was hashed."""

    def __init__(self, key: str, what: str = "changed while zsync was uploading it") -> None:
        super().__init__(
            f"{key} {what}; re-run",
            hint="let whatever writes the file finish first; the next run uploads it as it is then",
        )
        self.key = key
