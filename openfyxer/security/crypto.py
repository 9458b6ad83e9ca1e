"""AES-256-GCM encryption of stored secrets with a keyring.

A ciphertext reads `enc:v1:<key id>:<base64url(nonce || ciphertext || tag)>`: it names the key
that made it, so keys can be added and old ciphertexts re-encrypted without downtime. The
column's name is bound in as associated data, so a ciphertext copied into another column
(say an API key into a display field) does not decrypt.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from openfyxer.core.config import get_settings
from openfyxer.core.errors import CryptoError

PREFIX = "enc:v1:"


def _keyring() -> list[tuple[str, bytes]]:
    return get_settings().keyring_items()


def active_key_id() -> str:
    return _keyring()[0][0]


def encrypt(plaintext: str, context: str = "") -> str:
    kid, key = _keyring()[0]
    nonce = os.urandom(12)
    ct = AESGCM(key).encrypt(nonce, plaintext.encode("utf-8"), context.encode("utf-8"))
    return f"{PREFIX}{kid}:{base64.urlsafe_b64encode(nonce + ct).decode()}"


def key_id_of(token: str) -> str:
    if not token.startswith(PREFIX):
        raise CryptoError("value is not an OpenFyxer ciphertext")
    return token[len(PREFIX) :].split(":", 1)[0]


def decrypt(token: str, context: str = "") -> str:
    kid = key_id_of(token)
    keys = dict(_keyring())
    if kid not in keys:
        raise CryptoError(f"no key {kid!r} in OPENFYXER_ENCRYPTION_KEYS to decrypt a stored secret")
    blob = base64.urlsafe_b64decode(token.rsplit(":", 1)[1].encode())
    try:
        pt = AESGCM(keys[kid]).decrypt(blob[:12], blob[12:], context.encode("utf-8"))
    except InvalidTag as e:
        raise CryptoError("a stored secret failed its integrity check") from e
    return pt.decode("utf-8")


def generate_key() -> str:
    """A new random key in the keyring's base64 form."""
    return base64.urlsafe_b64encode(os.urandom(32)).decode()
