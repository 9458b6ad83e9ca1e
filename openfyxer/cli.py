"""`python -m openfyxer.cli COMMAND`: set-up and maintenance commands.

init-env     write .env with fresh random secrets (never overwrites existing values)
migrate      bring the database schema up to date
rotate-keys  add a new encryption key to .env and re-encrypt every stored secret with it
reencrypt    re-encrypt every stored secret with the active (first) key
invite       print an invitation token, made by the administrator account ([--email X] [--days N])
create-user  create an account whatever OPENFYXER_REGISTRATION says (EMAIL; password on stdin or asked)
reset-password  give an account a new password and end its sign-ins (EMAIL; password on stdin or asked)
"""

from __future__ import annotations

import argparse
import getpass
import secrets
import sys
from datetime import UTC, datetime
from pathlib import Path

from openfyxer.core.config import ROOT, env_file, get_settings, reset_settings
from openfyxer.core.errors import OpenFyxerError
from openfyxer.integrations import webpush
from openfyxer.security.crypto import generate_key


def _read_env(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith("#"):
                k, v = line.split("=", 1)
                values[k.strip()] = v.strip()
    return values


def _set_env(path: Path, key: str, value: str) -> None:
    """Replace or append one variable, keeping the rest of the file as it is."""
    if path.exists() and not path.is_file():
        raise SystemExit(f"{path} is not a regular file: refusing to write secrets into it")
    lines = path.read_text().splitlines() if path.exists() else []
    out, found = [], False
    for line in lines:
        if line.split("=", 1)[0].strip() == key and not line.lstrip().startswith("#"):
            out.append(f"{key}={value}")
            found = True
        else:
            out.append(line)
    if not found:
        out.append(f"{key}={value}")
    path.write_text("\n".join(out) + "\n")
    path.chmod(0o600)


def init_env(path: Path) -> list[str]:
    existing = _read_env(path)
    written = []
    if not existing.get("OPENFYXER_SECRET_KEY"):
        _set_env(path, "OPENFYXER_SECRET_KEY", secrets.token_urlsafe(48))
        written.append("OPENFYXER_SECRET_KEY")
    if not existing.get("OPENFYXER_ENCRYPTION_KEYS"):
        _set_env(path, "OPENFYXER_ENCRYPTION_KEYS", f"k{datetime.now(UTC):%Y%m%d}:{generate_key()}")
        written.append("OPENFYXER_ENCRYPTION_KEYS")
    if not existing.get("OPENFYXER_VAPID_PRIVATE_KEY"):
        _set_env(path, "OPENFYXER_VAPID_PRIVATE_KEY", webpush.new_private_key())
        written.append("OPENFYXER_VAPID_PRIVATE_KEY")
    return written


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    cfg = Config(str(ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(ROOT / "alembic"))
    cfg.attributes["skip_logging"] = True
    command.upgrade(cfg, "head")


def reencrypt() -> dict[str, int]:
    from openfyxer.core.db import session_scope
    from openfyxer.services.keys import reencrypt_all

    with session_scope() as session:
        return reencrypt_all(session)


def rotate_keys(path: Path) -> tuple[str, dict[str, int]]:
    import os

    if "OPENFYXER_ENCRYPTION_KEYS" in os.environ:
        raise SystemExit(
            "OPENFYXER_ENCRYPTION_KEYS is set in the environment, which .env cannot override: put a new "
            "'id:key' first in that variable yourself (`python -c 'from openfyxer.security.crypto import "
            "generate_key; print(generate_key())'`), restart, then run `reencrypt`."
        )
    current = get_settings().encryption_keys
    kid = f"k{datetime.now(UTC):%Y%m%d%H%M%S}"
    # The new key goes first (it encrypts); old keys stay so existing ciphertexts still decrypt.
    _set_env(path, "OPENFYXER_ENCRYPTION_KEYS", f"{kid}:{generate_key()},{current}")
    reset_settings()
    return kid, reencrypt()


def invite(email: str | None, days: int) -> str:
    from openfyxer.core.db import session_scope
    from openfyxer.services import invitations

    with session_scope() as session:
        _invitation, token = invitations.create(session, invitations.administrator(session), email=email, days=days)
    return token


def read_password() -> str:
    """From a pipe as is (a script); at a terminal asked twice, so a typo does not lock someone out."""
    if not sys.stdin.isatty():
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("New password: ")
    if getpass.getpass("Repeat it: ") != first:
        raise SystemExit("the passwords do not match")
    return first


def reset_password(email: str, password: str) -> None:
    from openfyxer.core.db import session_scope
    from openfyxer.services import auth

    with session_scope() as session:
        auth.reset_password(session, email=email, password=password)


def create_user(email: str, password: str, admin: bool) -> None:
    from openfyxer.core.db import session_scope
    from openfyxer.services import auth

    from openfyxer.models.types import check_address

    if not auth.MIN_PASSWORD <= len(password) <= auth.MAX_PASSWORD:
        raise SystemExit(f"a password has {auth.MIN_PASSWORD} to {auth.MAX_PASSWORD} characters")
    try:
        email = check_address(email)
    except ValueError as e:
        raise SystemExit(str(e)) from None
    with session_scope() as session:
        auth.create_user(session, email=email, password=password, is_admin=admin)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openfyxer", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["init-env", "migrate", "rotate-keys", "reencrypt", "invite",
                                            "create-user", "reset-password"])
    parser.add_argument("email", nargs="?", help="create-user, reset-password: the account's address")
    parser.add_argument("--env-file", default=None, type=Path, help="default: OPENFYXER_ENV_FILE or ./.env")
    parser.add_argument("--email", dest="invite_email", default=None, help="invite: only this address may use it")
    parser.add_argument("--days", type=int, default=7, help="invite: days until it expires (default 7)")
    parser.add_argument("--admin", action="store_true", help="create-user: make the account an administrator")
    args = parser.parse_args(argv)
    if args.command in ("create-user", "reset-password") and not args.email:
        parser.error(f"{args.command} needs the account's email address")
    args.env_file = args.env_file or env_file()
    try:
        if args.command == "init-env":
            written = init_env(args.env_file)
            print(f"{args.env_file}: wrote {', '.join(written)}" if written else f"{args.env_file}: secrets already set")
        elif args.command == "migrate":
            migrate()
            print("database schema is up to date")
        elif args.command == "rotate-keys":
            kid, counts = rotate_keys(args.env_file)
            print(f"new key {kid} is active; re-encrypted {sum(counts.values())} secrets: {counts}")
        elif args.command == "reencrypt":
            counts = reencrypt()
            print(f"re-encrypted {sum(counts.values())} secrets: {counts}")
        elif args.command == "invite":
            print(invite(args.invite_email or args.email, args.days))
        elif args.command == "create-user":
            create_user(args.email, read_password(), args.admin)
            print(f"{args.email}: account created")
        elif args.command == "reset-password":
            reset_password(args.email, read_password())
            print(f"{args.email}: new password set; every sign-in of this account has ended")
    except OpenFyxerError as e:  # a refusal of the service (no such account, no administrator): one line
        print(f"error: {e.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
