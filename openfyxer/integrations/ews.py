"""Exchange Web Services through exchangelib: a sign-in check, incremental sync of the Inbox and
Sent Items (SyncFolderItems, then GetItem for the MIME), a Message-ID lookup and sending raw MIME.

Every call builds its own exchangelib Account and tears it down afterwards (`_account`): calls
come from jobs that each stand alone, and exchangelib otherwise keeps every connection and
password in a process-wide protocol cache.

`send` sorts failures like smtp.send: transient (nothing reached Exchange, or Exchange said
"busy"), permanent (Exchange refused the message or the credentials), ambiguous (the request went
out and the answer was lost, so it may have been sent: look in Sent with `find_message_id`
before sending again).

Every request goes to the address the outbound policy checked for the EWS URL, and to that server
only. Errors name what failed (the EWS response code, an HTTP status) and never quote what the
server sent: whatever answers at a URL the user typed must not be read back to them.
"""

from __future__ import annotations

import base64
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

import requests
import urllib3.exceptions
from exchangelib import BASIC, DELEGATE, OAUTH2, UTC, Account, Build, Configuration, Credentials, Version
from exchangelib import errors as xe
from exchangelib.credentials import OAuth2AuthorizationCodeCredentials
from exchangelib.fields import FieldPath
from exchangelib.items import ID_ONLY, SEND_AND_SAVE_COPY, SEND_ONLY, Item, Message
from exchangelib.properties import DistinguishedFolderId, Mailbox
from exchangelib.protocol import Protocol
from exchangelib.services import CreateItem, GetItem, SyncFolderItems
from exchangelib.services.common import folder_ids_element
from exchangelib.util import add_xml_child, create_element
from oauthlib.oauth2 import OAuth2Token
from openfyxer.core.errors import OpenFyxerError
from openfyxer.security import outbound

log = logging.getLogger(__name__)

# The words smtp.SendFailed uses, so the outbox handles both transports alike.
TRANSIENT, PERMANENT, AMBIGUOUS = "transient", "permanent", "ambiguous"

# A fixed schema version spares the version-guessing round trip; an older server answers
# "invalid version" and exchangelib then retries the request with older schema versions.
_VERSION = Version(build=Build(15, 1, 2507, 6))
_DISTINGUISHED = {"inbox": "inbox", "sent": "sentitems"}
_IS_READ = FieldPath(field=Message.get_field_by_fieldname("is_read"))
_MIME = FieldPath(field=Item.get_field_by_fieldname("mime_content"))
_MAX_CHANGES = 512  # EWS refuses more per SyncFolderItems call
_FETCH_BATCH = 20  # MIME with attachments is large; keep one GetItem response a sane size
_TRANSIENT_CODES = (
    xe.ErrorServerBusy, xe.ErrorInternalServerTransientError, xe.ErrorMailboxStoreUnavailable,
    xe.ErrorMailboxMoveInProgress, xe.ErrorConnectionFailed, xe.ErrorConnectionFailedTransientError,
    xe.ErrorTooManyObjectsOpened, xe.ErrorExceededConnectionCount, xe.ErrorSubmissionQuotaExceeded,
)
_AUTH_CODES = (xe.UnauthorizedError, xe.ErrorAccessDenied, xe.ErrorNonExistentMailbox)
_HTTP_STATUS = re.compile(r"Code: (\d{3})")


class EwsError(OpenFyxerError):
    """The Exchange server answered with an error."""

    status = 502
    code = "ews_error"


class EwsAuthError(EwsError):
    """The Exchange server refused the credentials or the mailbox."""

    status = 400
    code = "ews_auth_failed"


class EwsConnectError(EwsError):
    """The Exchange server could not be reached."""

    status = 400
    code = "ews_unreachable"


class EwsSyncStateInvalid(EwsError):
    """Exchange no longer accepts the saved sync state; sync again from None."""

    code = "ews_sync_state_invalid"


class EwsSendFailed(EwsError):
    """Sending failed; `kind` (transient / permanent / ambiguous) says whether it may be retried."""

    def __init__(self, kind: str, message: str):
        super().__init__(message, code=f"send_{kind}")
        self.kind = kind


@dataclass(frozen=True, kw_only=True)
class EwsConfig:
    url: str  # the EWS endpoint, e.g. https://mail.example.com/EWS/Exchange.asmx
    username: str
    password: str | None = None
    access_token: str | None = None
    email_address: str
    timeout: float = 30
    ca_file: str | None = None


@dataclass(frozen=True)
class EwsChange:
    kind: str  # new | read | deleted
    item_id: str
    is_read: bool | None
    mime: bytes | None  # only for "new"; None when Exchange could not render the item as MIME


class _Adapter(outbound.PinnedAdapter):
    """To the checked EWS server only, with certificate verification pinned to the CA file when
    one is given. `session.verify` is not enough: requests lets a REQUESTS_CA_BUNDLE environment
    variable override it."""

    def __init__(self, target: outbound.Target, ca_file: str | None, **kwargs):  # noqa: ANN003
        self.ca_file = ca_file
        super().__init__(target, **kwargs)

    def send(self, request, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN201
        if self.ca_file:
            kwargs["verify"] = self.ca_file
        return super().send(request, *args, **kwargs)


def _target(cfg: EwsConfig) -> outbound.Target:
    """The EWS URL's server as the outbound policy allows it (OutboundRefused goes up as it is)."""
    try:
        return outbound.url_target(cfg.url, purpose="Exchange server")
    except outbound.HostNotFound as e:
        raise EwsConnectError(f"cannot reach Exchange at {cfg.url}: {e.message}") from e


@contextmanager
def _account(cfg: EwsConfig) -> Iterator[Account]:
    target = _target(cfg)
    if cfg.access_token and not cfg.url.lower().startswith("https://"):
        # requests-oauthlib would refuse anyway, after exchangelib logged the whole request.
        raise EwsConnectError("an OAuth access token is only sent to an https:// EWS URL")
    if cfg.access_token:
        # Without expiry fields oauthlib never declares the token expired; exchangelib would loop
        # on TokenExpiredError since it has no client secret to refresh with. Exchange says 401.
        token = OAuth2Token({"access_token": cfg.access_token, "token_type": "Bearer"})
        credentials, auth_type = OAuth2AuthorizationCodeCredentials(access_token=token), OAUTH2
    else:
        credentials, auth_type = Credentials(cfg.username, cfg.password or ""), BASIC
    config = Configuration(service_endpoint=cfg.url, credentials=credentials, auth_type=auth_type,
                           version=_VERSION)
    account = Account(primary_smtp_address=cfg.email_address, config=config, autodiscover=False,
                      access_type=DELEGATE, default_timezone=UTC)
    protocol = account.protocol
    # Instance attributes: exchangelib reads self.TIMEOUT, and its class default stays put.
    protocol.TIMEOUT = cfg.timeout
    make_session = protocol.create_session

    def create_session():  # noqa: ANN202
        session = make_session()
        adapter = _Adapter(target, cfg.ca_file, pool_connections=1, pool_maxsize=1, max_retries=0, pool_block=True)
        # Every prefix, exchangelib's own (the EWS URL) included: no request leaves unchecked.
        for prefix in {*session.adapters, cfg.url, "https://", "http://"}:
            session.mount(prefix, adapter)
        return session

    protocol.create_session = create_session
    try:
        yield account
    finally:
        protocol.close()
        with suppress(KeyError):
            del Protocol[config]


def _network_error(e: BaseException) -> requests.RequestException | None:
    """The requests error under an exchangelib one: exchangelib re-raises connection failures as
    ErrorTimeoutExpired / TransportError and keeps the original only as __context__."""
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, requests.RequestException):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


def _never_connected(net: requests.RequestException) -> bool:
    """True when no connection was made, so Exchange cannot have seen the request."""
    if isinstance(net, (requests.ConnectTimeout, requests.exceptions.SSLError)):
        return True
    reason = net.args[0] if net.args else None
    return (isinstance(reason, urllib3.exceptions.MaxRetryError)
            and isinstance(reason.reason, urllib3.exceptions.NewConnectionError))


def _root(e: BaseException) -> BaseException:
    """The first cause: requests and urllib3 wrap an OS or TLS error several times over."""
    seen: set[int] = set()
    while id(e) not in seen:
        seen.add(id(e))
        inner = getattr(e, "reason", None) or e.__cause__ or next(
            (a for a in e.args if isinstance(a, BaseException)), None)
        if not isinstance(inner, BaseException):
            break
        e = inner
    return e


def _describe(e: BaseException) -> str:
    """A failure in our words. An OS or TLS error is the machine's own ("Connection refused",
    "certificate verify failed"); anything else is named by its class (for exchangelib, the EWS
    response code) and HTTP status, because its text quotes what the server sent."""
    net = _network_error(e)
    if net is not None:
        root = _root(net)
        return str(root) if isinstance(root, OSError) and str(root) else type(root).__name__
    m = _HTTP_STATUS.search(str(e))
    return f"{type(e).__name__} (HTTP {m.group(1)})" if m else type(e).__name__


def _wrap(e: Exception, cfg: EwsConfig, what: str) -> EwsError:
    if isinstance(e, xe.UnauthorizedError):
        return EwsAuthError(f"Exchange refused the sign-in for {cfg.username}")
    if isinstance(e, _AUTH_CODES):
        return EwsAuthError(f"Exchange refused access to the mailbox {cfg.email_address}: {type(e).__name__}")
    if isinstance(e, (xe.ErrorInvalidSyncStateData, xe.ErrorSyncFolderNotFound)):
        return EwsSyncStateInvalid(f"Exchange rejected the saved sync state during {what}: {type(e).__name__}")
    net = _network_error(e)
    if net is not None or isinstance(e, (xe.RedirectError, xe.MalformedResponseError, xe.SOAPError)):
        return EwsConnectError(f"cannot reach Exchange at {cfg.url} during {what}: {_describe(e)}")
    return EwsError(f"Exchange {what} failed: {_describe(e)}")


def verify(cfg: EwsConfig) -> None:
    """Fetch the Inbox folder: proves the URL, the credentials and the mailbox before an account is saved."""
    with _account(cfg) as account:
        try:
            account.inbox  # noqa: B018  (GetFolder root, then GetFolder inbox)
        except xe.EWSError as e:
            raise _wrap(e, cfg, "sign-in") from e


def sync_folder(cfg: EwsConfig, folder: str, sync_state: str | None,
                max_changes: int = 200) -> tuple[list[EwsChange], str, bool]:
    """One SyncFolderItems page of "inbox" or "sent": (changes, new sync state, more available).

    With sync_state None every item comes back as "new". New items carry their MIME bytes; a
    "deleted" may name an item the caller never saw (it came and went between two calls). Raises
    EwsSyncStateInvalid when Exchange no longer knows the state: sync again from None.
    """
    if folder not in _DISTINGUISHED:
        raise ValueError(f"unknown EWS folder {folder!r}; expected one of {sorted(_DISTINGUISHED)}")
    if max_changes < 1:
        raise ValueError("max_changes must be at least 1")
    # The distinguished id goes straight into the request: no GetFolder round trips per poll.
    folder_id = DistinguishedFolderId(id=_DISTINGUISHED[folder], mailbox=Mailbox(email_address=cfg.email_address))
    with _account(cfg) as account:
        svc = SyncFolderItems(account=account)
        try:
            raw = list(svc.call(folder=folder_id, shape=ID_ONLY, additional_fields={_IS_READ},
                                sync_state=sync_state or None, ignore=None,
                                max_changes_returned=min(max_changes, _MAX_CHANGES), sync_scope="NormalItems"))
            changes = _changes(account, raw)
        except xe.EWSError as e:
            raise _wrap(e, cfg, f"sync of {folder}") from e
        return changes, svc.sync_state, not svc.includes_last_item_in_range


def _changes(account: Account, raw: list) -> list[EwsChange]:
    mimes = _fetch_mime(account, [obj for kind, obj in raw if kind == SyncFolderItems.CREATE])
    out = []
    for kind, obj in raw:
        if kind == SyncFolderItems.CREATE and obj.id in mimes:
            out.append(EwsChange("new", obj.id, getattr(obj, "is_read", None), mimes[obj.id]))
        elif kind == SyncFolderItems.READ_FLAG_CHANGE:
            out.append(EwsChange("read", obj[0].id, obj[1], None))
        elif kind == SyncFolderItems.UPDATE and getattr(obj, "is_read", None) is not None:
            # Other changes (flag, category, ...) come as Update too; repeating the read state is harmless.
            out.append(EwsChange("read", obj.id, obj.is_read, None))
        elif kind == SyncFolderItems.DELETE:
            out.append(EwsChange("deleted", obj.id, None, None))
    return out


def _fetch_mime(account: Account, items: list) -> dict[str, bytes | None]:
    """item id -> MIME bytes; ids deleted since the sync are left out."""
    if not items:
        return {}
    svc = GetItem(account=account, chunk_size=_FETCH_BATCH)
    out: dict[str, bytes | None] = {}
    for item, got in zip(items, svc.call(items=items, additional_fields={_MIME}, shape=ID_ONLY), strict=True):
        if isinstance(got, xe.ErrorItemNotFound):
            continue  # deleted since; the next sync reports it
        if isinstance(got, _TRANSIENT_CODES):
            raise got
        if isinstance(got, Exception):
            # One message Exchange cannot convert must not stall the folder forever.
            log.warning("EWS item %s has no MIME: %s", item.id, got)
            out[item.id] = None
        else:
            out[item.id] = got.mime_content
    return out


def find_message_id(cfg: EwsConfig, folder: str, message_id: str) -> bool:
    """Is a message with this Internet Message-ID in "inbox" or "sent"? (FindItem on InternetMessageId)"""
    if folder not in _DISTINGUISHED:
        raise ValueError(f"unknown EWS folder {folder!r}; expected one of {sorted(_DISTINGUISHED)}")
    if not message_id.startswith("<"):
        message_id = f"<{message_id}>"  # Exchange keeps the brackets
    with _account(cfg) as account:
        try:
            target = account.inbox if folder == "inbox" else account.sent
            return target.filter(message_id=message_id).only("id").exists()
        except xe.EWSError as e:
            raise _wrap(e, cfg, f"Message-ID search in {folder}") from e


class _CreateMimeItem(CreateItem):
    """CreateItem carrying nothing but MimeContent. exchangelib's Message would add its defaults
    (Importance, Sensitivity, IsRead=false, receipts off) over the headers the user approved."""

    def call(self, items, folder, message_disposition, send_meeting_invitations=None):  # noqa: ANN001, ANN201
        return self._elems_to_objs(self._chunked_get_elements(
            self.get_payload, items=items, folder=folder, message_disposition=message_disposition))

    def get_payload(self, items, folder, message_disposition):  # noqa: ANN001, ANN201
        payload = create_element("m:CreateItem", attrs={"MessageDisposition": message_disposition})
        if folder is not None:
            payload.append(folder_ids_element(folders=[folder], version=self.account.version, tag="m:SavedItemFolderId"))
        elems = create_element("m:Items")
        for raw in items:
            message = create_element("t:Message")
            add_xml_child(message, "t:MimeContent", base64.b64encode(raw).decode("ascii"))
            elems.append(message)
        payload.append(elems)
        return payload


def send(cfg: EwsConfig, raw_mime: bytes, save_copy: bool = True) -> None:
    """Send an RFC 822 message as it is (CreateItem, MessageDisposition SendAndSaveCopy or SendOnly).

    Exchange takes the recipients from the To / Cc / Bcc headers. Raises EwsSendFailed.
    """
    saved = (DistinguishedFolderId(id="sentitems", mailbox=Mailbox(email_address=cfg.email_address))
             if save_copy else None)
    try:
        with _account(cfg) as account:
            results = list(_CreateMimeItem(account=account).call(
                items=[raw_mime], folder=saved,
                message_disposition=SEND_AND_SAVE_COPY if save_copy else SEND_ONLY))
    except (EwsError, outbound.OutboundRefused) as e:  # refused before anything went out
        raise EwsSendFailed(PERMANENT, e.message) from e
    except Exception as e:  # noqa: BLE001  (anything from the wire is sorted, then wrapped)
        raise EwsSendFailed(_send_kind(e), f"EWS send failed: {_describe(e)}") from e
    refused = next((r for r in results if isinstance(r, Exception)), None)
    if refused is not None:
        raise EwsSendFailed(_send_kind(refused), f"Exchange refused the message: {_describe(refused)}")


def _send_kind(e: Exception) -> str:
    if isinstance(e, _TRANSIENT_CODES):
        return TRANSIENT  # "busy" answers, including HTTP 503 and throttling
    net = _network_error(e)
    if net is not None:
        return TRANSIENT if _never_connected(net) else AMBIGUOUS
    if isinstance(e, xe.MalformedResponseError) and (m := _HTTP_STATUS.search(str(e))):
        status = int(m.group(1))
        # An HTTP error page instead of a SOAP answer: EWS turned the request away, except that a
        # gateway that timed out (504) may already have passed it on.
        return AMBIGUOUS if status == 504 else TRANSIENT if status >= 500 else PERMANENT
    if isinstance(e, (xe.SOAPError, xe.MalformedResponseError, xe.ErrorInternalServerError, xe.ErrorTimeoutExpired)):
        return AMBIGUOUS  # Exchange answered, but with something unreadable or "failed midway"
    if isinstance(e, xe.EWSError):
        return PERMANENT  # Exchange's definite "no": recipients, size, rights, credentials
    return AMBIGUOUS  # not from the wire at all: do not guess that nothing was sent
