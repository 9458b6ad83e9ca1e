"""One root exception; each layer wraps a library's error where it enters.

The `status` is a hint for the API boundary only; services never know about HTTP.
"""


class OpenFyxerError(Exception):
    status = 400
    code = "error"

    def __init__(self, message: str = "", *, code: str | None = None):
        super().__init__(message or self.__class__.__doc__ or "error")
        self.message = message or (self.__class__.__doc__ or "error").strip()
        if code:
            self.code = code


class ConfigError(OpenFyxerError, ValueError):
    """The configuration is invalid."""

    code = "config_error"


class ValidationError(OpenFyxerError):
    """The input is invalid."""

    status = 422
    code = "invalid"


class AuthError(OpenFyxerError):
    """Authentication failed."""

    status = 401
    code = "unauthorized"


class PermissionDenied(OpenFyxerError):
    """Not allowed."""

    status = 403
    code = "forbidden"


class NotFound(OpenFyxerError):
    """Not found."""

    status = 404
    code = "not_found"


class Throttled(OpenFyxerError):
    """Too many attempts: try again later."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str = "", *, code: str | None = None, retry_after: int = 60):
        super().__init__(message, code=code)
        self.retry_after = max(1, int(retry_after))


class Conflict(OpenFyxerError):
    """Conflicts with existing data."""

    status = 409
    code = "conflict"


class CryptoError(OpenFyxerError):
    """A secret could not be decrypted."""

    status = 500
    code = "crypto_error"


class JobError(OpenFyxerError):
    """A background job could not be queued or run."""

    status = 503
    code = "job_error"
