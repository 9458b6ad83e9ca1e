"""A local EWS server for the exchangelib tests. It parses each SOAP request (operation, folder,
SyncState, ItemIds, Basic or Bearer auth) and answers from a mailbox it keeps, so the tests
exercise real request and response handling, not canned sequences.

Responses are built on the recorded responses in tests/ews_recordings/ (its README says where
each came from): the stub parses a recording, keeps its envelope and element shapes, and fills in
ids, MIME, sync states and error codes from its own state. Every response carries one
ServerVersionInfo (Exchange 2016, 15.1.2507.6) so exchangelib sees one consistent server.
"""

from __future__ import annotations

import base64
import copy
import itertools
import socket
import ssl
import struct
import threading
import time
import traceback
import uuid
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.utils import getaddresses
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

RECORDINGS = Path(__file__).with_name("ews_recordings")
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
MNS = "http://schemas.microsoft.com/exchange/services/2006/messages"
TNS = "http://schemas.microsoft.com/exchange/services/2006/types"
for _prefix, _uri in (("s", SOAP), ("m", MNS), ("t", TNS)):
    ET.register_namespace(_prefix, _uri)
SERVER_VERSION = {"MajorVersion": "15", "MinorVersion": "1", "MajorBuildNumber": "2507",
                  "MinorBuildNumber": "6", "Version": "V2017_07_11"}
FOLDERS = {"root": "", "msgfolderroot": "Top of Information Store", "inbox": "Inbox", "sentitems": "Sent Items"}
FAULTS = ("reset", "stall", "http503", "server_busy")


def m(tag: str) -> str:
    return f"{{{MNS}}}{tag}"


def t(tag: str) -> str:
    return f"{{{TNS}}}{tag}"


def folder_id(name: str) -> str:
    return base64.b64encode(f"stub-folder:{name}".encode()).decode()


@dataclass
class StubItem:
    item_id: str
    mime: bytes
    is_read: bool
    message_id: str | None


@dataclass(frozen=True)
class Sent:
    mime: bytes
    recipients: tuple[str, ...]
    message_id: str | None
    saved: bool


class EwsStub:
    """Start with `.start()`; `.url` is the EWS endpoint. Mailbox: `deliver`, `mark_read`, `delete`.
    `sent` holds what CreateItem sent; `requests` logs each operation; `errors` any stub crash;
    `fail_next` and `after` inject faults and mailbox changes between requests."""

    stall_seconds = 1.5

    def __init__(self, username: str = "ana@example.com", password: str = "s3cret pass",
                 email: str = "ana@example.com", token: str = "stub-access-token"):
        self.username, self.password, self.email, self.token = username, password, email, token
        self.folders: dict[str, dict[str, StubItem]] = {"inbox": {}, "sentitems": {}}
        self.sent: list[Sent] = []
        self.requests: list[str] = []
        self.errors: list[str] = []
        self._states: dict[str, tuple[str, dict[str, bool]]] = {}  # token -> (folder, what the client has)
        self._faults: dict[str, str] = {}
        self.after: dict[str, Callable[[], None]] = {}  # operation -> run once after it is answered
        self._ids = itertools.count(1)
        self._lock = threading.RLock()
        self._server: ThreadingHTTPServer | None = None
        self.url = ""

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, tls: ssl.SSLContext | None = None) -> EwsStub:
        handler = type("Handler", (_Handler,), {"stub": self})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        if tls is not None:
            self._server.socket = tls.wrap_socket(self._server.socket, server_side=True)
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self._server.server_address[1]}/EWS/Exchange.asmx"
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the mailbox, as the tests change it ---------------------------------------------------

    def deliver(self, mime: bytes, folder: str = "inbox", is_read: bool = False) -> str:
        with self._lock:
            item_id = base64.b64encode(f"stub-item:{next(self._ids):08d}".encode()).decode()
            msg_id = message_from_bytes(mime, policy=policy.default)["Message-ID"]
            self.folders[folder][item_id] = StubItem(item_id, mime, is_read, str(msg_id) if msg_id else None)
            return item_id

    def mark_read(self, item_id: str, is_read: bool = True) -> None:
        with self._lock:
            self._item(item_id).is_read = is_read

    def delete(self, item_id: str) -> None:
        with self._lock:
            for items in self.folders.values():
                items.pop(item_id, None)

    def fail_next(self, operation: str, fault: str) -> None:
        """The next `operation` request meets `fault`: reset (processed, then the connection is
        reset instead of answered), stall (processed, silent for `stall_seconds`, then reset),
        http503 (an IIS error page), server_busy (the recorded ErrorServerBusy fault)."""
        assert fault in FAULTS, fault
        self._faults[operation] = fault

    def _item(self, item_id: str) -> StubItem | None:
        return next((items[item_id] for items in self.folders.values() if item_id in items), None)

    # -- SOAP ------------------------------------------------------------------------------------

    def authorized(self, header: str) -> bool:
        scheme, _, value = header.partition(" ")
        if scheme == "Basic":
            return base64.b64decode(value).decode() == f"{self.username}:{self.password}"
        return scheme == "Bearer" and value == self.token

    def answer(self, operation: str, request: ET.Element) -> bytes:
        handlers = {"GetFolder": self._get_folder, "SyncFolderItems": self._sync_items,
                    "GetItem": self._get_item, "CreateItem": self._create_item, "FindItem": self._find_item}
        with self._lock:
            if operation not in handlers:
                self.requests.append(operation)
                return render(self._error(operation, "ErrorInvalidOperation", "The stub does not serve this operation."))
            answer = render(handlers[operation](request))
            hook = self.after.pop(operation, None)
            if hook:
                hook()
            return answer

    def _folder_name(self, elem: ET.Element) -> str:
        if elem.tag == t("DistinguishedFolderId"):
            return elem.get("Id")
        return next((n for n in FOLDERS if folder_id(n) == elem.get("Id")), "?")

    def _error_message(self, operation: str, code: str, text: str) -> ET.Element:
        msg = load("error_response.xml").find(f".//{m('DeleteItemResponseMessage')}")
        msg.tag = m(f"{operation}ResponseMessage")
        msg.find(m("MessageText")).text = text
        msg.find(m("ResponseCode")).text = code
        return msg

    def _error(self, operation: str, code: str, text: str) -> ET.Element:
        env = load("error_response.xml")
        response = env.find(f".//{m('DeleteItemResponse')}")
        response.tag = m(f"{operation}Response")
        messages = response.find(m("ResponseMessages"))
        messages.clear()
        messages.append(self._error_message(operation, code, text))
        return env

    def _get_folder(self, req: ET.Element) -> ET.Element:
        fields = {f.get("FieldURI") for f in req.iter(t("FieldURI"))}
        env = load("getfolder.xml")
        messages = env.find(f".//{m('ResponseMessages')}")
        proto = messages[0]
        messages.remove(proto)
        for elem in req.find(m("FolderIds")):
            name = self._folder_name(elem)
            self.requests.append(f"GetFolder {name}")
            if name not in FOLDERS:
                messages.append(self._error_message("GetFolder", "ErrorFolderNotFound",
                                                    "The specified folder could not be found in the store."))
                continue
            msg = copy.deepcopy(proto)
            folder = msg.find(f"{m('Folders')}/{t('Folder')}")
            folder.find(t("FolderId")).attrib.update(Id=folder_id(name), ChangeKey="AQAAABYAAAA=")
            items = self.folders.get(name, {})
            props = [("folder:ParentFolderId", "ParentFolderId", None if name == "root" else "msgfolderroot"),
                     ("folder:FolderClass", "FolderClass", "IPF.Note" if name in self.folders else None),
                     ("folder:DisplayName", "DisplayName", FOLDERS[name]),
                     ("folder:TotalCount", "TotalCount", str(len(items))),
                     ("folder:ChildFolderCount", "ChildFolderCount", "0" if name in self.folders else "1"),
                     ("folder:UnreadCount", "UnreadCount", str(sum(not i.is_read for i in items.values())))]
            for uri, tag, value in props:  # schema order; Exchange leaves out what a folder lacks
                if uri in fields and value is not None:
                    if tag == "ParentFolderId":
                        ET.SubElement(folder, t(tag), Id=folder_id(value), ChangeKey="AQAAABYAAAA=")
                    else:
                        ET.SubElement(folder, t(tag)).text = value
            messages.append(msg)
        return env

    def _sync_items(self, req: ET.Element) -> ET.Element:
        name = self._folder_name(req.find(m("SyncFolderId"))[0])
        token = req.findtext(m("SyncState"))
        limit = int(req.findtext(m("MaxChangesReturned")))
        with_read = any(f.get("FieldURI") == "message:IsRead" for f in req.iter(t("FieldURI")))
        self.requests.append(f"SyncFolderItems {name}")
        if token and self._states.get(token, ("",))[0] != name:
            return load("syncfolderitems_invalid_state.xml")
        seen = dict(self._states[token][1]) if token else {}
        items = self.folders[name]
        changes = ([("create", i) for i in items if i not in seen]
                   + [("read", i) for i in items if i in seen and seen[i] != items[i].is_read]
                   + [("delete", i) for i in seen if i not in items])
        page = changes[:limit]
        new_token = base64.b64encode(uuid.uuid4().bytes).decode()
        for kind, i in page:
            if kind == "delete":
                del seen[i]
            else:
                seen[i] = items[i].is_read
        self._states[new_token] = (name, seen)
        env = load("syncfolderitems.xml")
        msg = env.find(f".//{m('SyncFolderItemsResponseMessage')}")
        msg.find(m("SyncState")).text = new_token
        msg.find(m("IncludesLastItemInRange")).text = "true" if len(changes) <= limit else "false"
        container = msg.find(m("Changes"))
        protos = {"create": container.find(t("Create")), "read": container.find(t("ReadFlagChange")),
                  "delete": container.find(t("Delete"))}
        container.clear()
        for kind, i in page:
            change = copy.deepcopy(protos[kind])
            change.find(f".//{t('ItemId')}").attrib.update(Id=i, ChangeKey="CQAAABYAAAA=")
            read = change.find(f".//{t('IsRead')}")
            if kind == "create" and not with_read:
                change.find(t("Message")).remove(read)
            elif read is not None:
                read.text = "true" if items[i].is_read else "false"
            container.append(change)
        return env

    def _get_item(self, req: ET.Element) -> ET.Element:
        ids = [e.get("Id") for e in req.find(m("ItemIds"))]
        with_mime = any(f.get("FieldURI") == "item:MimeContent" for f in req.iter(t("FieldURI")))
        self.requests.append(f"GetItem {len(ids)}")
        env = load("getitem_mime.xml")
        messages = env.find(f".//{m('ResponseMessages')}")
        proto = messages[0]
        messages.remove(proto)
        for i in ids:
            item = self._item(i)
            if item is None:
                messages.append(self._error_message("GetItem", "ErrorItemNotFound",
                                                    "The specified object was not found in the store."))
                continue
            msg = copy.deepcopy(proto)
            message = msg.find(f"{m('Items')}/{t('Message')}")
            message.find(t("ItemId")).attrib.update(Id=i, ChangeKey="CQAAABYAAAA=")
            mime = message.find(t("MimeContent"))
            if with_mime:
                mime.text = base64.b64encode(item.mime).decode()
            else:
                message.remove(mime)
            messages.append(msg)
        return env

    def _create_item(self, req: ET.Element) -> ET.Element:
        disposition = req.get("MessageDisposition")
        saved = req.find(m("SavedItemFolderId"))
        self.requests.append(f"CreateItem {disposition}")
        env = load("createitem.xml")
        messages = env.find(f".//{m('ResponseMessages')}")
        proto = messages[0]
        messages.remove(proto)
        for message in req.find(m("Items")):
            mime = message.findtext(t("MimeContent"))
            if disposition not in ("SendOnly", "SendAndSaveCopy") or mime is None:
                messages.append(self._error_message("CreateItem", "ErrorInvalidOperation",
                                                    "The stub only sends MIME messages."))
                continue
            raw = base64.b64decode(mime)
            parsed = message_from_bytes(raw, policy=policy.default)
            headers = [str(h) for k in ("To", "Cc", "Bcc") for h in parsed.get_all(k, [])]
            recipients = tuple(addr for _, addr in getaddresses(headers) if addr)
            if not recipients:
                messages.append(self._error_message("CreateItem", "ErrorInvalidRecipients",
                                                    "At least one recipient isn't valid."))
                continue
            keep = disposition == "SendAndSaveCopy"
            self.sent.append(Sent(raw, recipients, str(parsed["Message-ID"] or "") or None, keep))
            if keep:
                self.deliver(raw, self._folder_name(saved[0]) if saved is not None else "sentitems", is_read=True)
            messages.append(copy.deepcopy(proto))
        return env

    def _find_item(self, req: ET.Element) -> ET.Element:
        name = self._folder_name(req.find(m("ParentFolderIds"))[0])
        view = req.find(m("IndexedPageItemView"))
        offset, limit = int(view.get("Offset", "0")), int(view.get("MaxEntriesReturned", "1000"))
        wanted = None
        equal = req.find(f"{m('Restriction')}/{t('IsEqualTo')}")
        if equal is not None:
            if equal.find(t("FieldURI")).get("FieldURI") != "message:InternetMessageId":
                return self._error("FindItem", "ErrorInvalidOperation", "The stub filters on Message-ID only.")
            wanted = equal.find(f"{t('FieldURIOrConstant')}/{t('Constant')}").get("Value")
        self.requests.append(f"FindItem {name}")
        found = [i for i in self.folders[name].values() if wanted is None or i.message_id == wanted]
        env = load("finditem.xml")
        root = env.find(f".//{m('RootFolder')}")
        root.set("TotalItemsInView", str(len(found)))
        root.set("IncludesLastItemInRange", "true" if offset + limit >= len(found) else "false")
        container = root.find(t("Items"))
        proto = container[0]
        container.clear()
        for item in found[offset:offset + limit]:
            message = copy.deepcopy(proto)
            message.find(t("ItemId")).attrib.update(Id=item.item_id, ChangeKey="CQAAABYAAAA=")
            container.append(message)
        return env


_CACHE: dict[str, bytes] = {}


def load(name: str) -> ET.Element:
    """A fresh parse of a recorded response, to fill in."""
    if name not in _CACHE:
        _CACHE[name] = (RECORDINGS / name).read_bytes()
    return ET.fromstring(_CACHE[name])


def render(env: ET.Element) -> bytes:
    for info in env.iter():
        if info.tag.endswith("}ServerVersionInfo"):
            info.attrib.update(SERVER_VERSION)
    return ET.tostring(env, encoding="utf-8", xml_declaration=True)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # exchangelib keeps one connection alive across requests
    stub: EwsStub

    def log_message(self, *args) -> None:  # noqa: ANN002
        pass

    def do_POST(self) -> None:  # noqa: N802
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        if self.path != "/EWS/Exchange.asmx":
            return self._reply(404, b"Not Found", "text/plain")
        if not self.stub.authorized(self.headers.get("Authorization", "")):
            # Like IIS: 401, a challenge, an empty body, and the connection kept open.
            return self._reply(401, b"", "text/plain", {"WWW-Authenticate": 'Basic realm="stub"'})
        try:
            request = ET.fromstring(body).find(f"{{{SOAP}}}Body")[0]
            operation = request.tag.rpartition("}")[2]
            fault = self.stub._faults.pop(operation, None)
            if fault == "http503":
                return self._reply(503, b"<html><body>Service Unavailable</body></html>", "text/html")
            if fault == "server_busy":
                return self._reply(500, render(load("fault_server_busy.xml")))
            answer = self.stub.answer(operation, request)
        except Exception:  # noqa: BLE001  (a stub bug must show up in the test, not hang it)
            self.stub.errors.append(traceback.format_exc())
            return self._reply(500, b"stub error", "text/plain")
        if fault == "stall":
            time.sleep(self.stub.stall_seconds)
        if fault in ("reset", "stall"):
            # The request was processed; the answer is lost. SO_LINGER 0 makes close() send RST.
            self.close_connection = True
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()
            return None
        return self._reply(200, answer)

    def _reply(self, status: int, body: bytes, ctype: str = "text/xml; charset=utf-8",
               headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)
