"""Request and response shapes that belong to the HTTP API only."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from openfyxer.models.types import MailAddress
from openfyxer.models.user import TOTP_CODE


class ErrorOut(BaseModel):
    detail: str
    code: str


class TokenOut(BaseModel):
    access_token: str
    refresh_token: str
    token_type: str = "bearer"
    expires_in: int
    csrf_token: str


class RefreshIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Optional: browsers send it as an httpOnly cookie instead.
    refresh_token: str | None = Field(None, min_length=20, max_length=4096)


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=10, max_length=256)  # as at registration


class EmailChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)
    email: MailAddress = Field(max_length=255)


class CurrentPasswordIn(BaseModel):
    """The signed-in user's password again, before a change that opens a way in."""

    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256)


class TotpSetupOut(BaseModel):
    secret: str
    provisioning_uri: str
    qr_svg: str


class TotpVerifyIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=TOTP_CODE)


class TotpVerifyOut(BaseModel):
    totp_enabled: bool
    # Shown this once: only their hashes are kept.
    recovery_codes: list[str]


class RecoveryCodesOut(BaseModel):
    recovery_codes: list[str]


class TotpStatusOut(BaseModel):
    totp_enabled: bool
    recovery_codes_left: int


class TotpDisableIn(CurrentPasswordIn):
    # The app's six digits, or a recovery code when the app is lost: their shapes tell them apart.
    code: str = Field(min_length=1, max_length=32)


class CheckOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    status: str
    backend: str | None = None
    error: str | None = None
    detail: str | None = None
    latency_ms: float | None = None


class HealthOut(BaseModel):
    """Anyone sees `status`; an administrator's bearer token also gets each check."""

    status: str
    checks: dict[str, CheckOut] | None = None


class ModelQueueOut(BaseModel):
    """The caller's place at the embedded model, which answers one request at a time."""

    waiting: bool = Field(description="a request of yours waits for its turn")
    ahead: int = Field(description="requests that come before it, the one being written counted")
    generating: bool = Field(description="the model is writing an answer of yours now")


class InvalidOut(BaseModel):
    """422: the request's fields are wrong (FastAPI lists the problems) or its content is (a sentence
    and a code, e.g. a file that is not a readable document)."""

    detail: str | list[dict]
    code: str | None = None


ERRORS = {
    400: {"model": ErrorOut, "description": "Malformed request (for example a body that is not UTF-8 JSON)"},
    401: {"model": ErrorOut, "description": "Not signed in, or the token is invalid"},
    403: {"model": ErrorOut, "description": "Forbidden (CSRF)"},
    422: {"description": "Invalid input"},
    429: {"model": ErrorOut, "description": "Too many requests; see Retry-After"},
}
