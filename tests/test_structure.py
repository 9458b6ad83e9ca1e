"""DESIGN.md's import rule and logging hygiene, checked on the source itself."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

from openfyxer.core.logging import RedactSecrets

PKG = Path(__file__).resolve().parents[1] / "openfyxer"

# Layer -> top-level names it must never import. Imports point downward only.
FORBIDDEN = {
    "core": {"openfyxer.models", "openfyxer.security", "openfyxer.integrations", "openfyxer.services",
             "openfyxer.api", "openfyxer.ui", "openfyxer.jobs", "reflex", "fastapi", "starlette", "rq"},
    "security": {"openfyxer.models", "openfyxer.integrations", "openfyxer.services", "openfyxer.api",
                 "openfyxer.ui", "reflex", "fastapi", "starlette", "rq"},
    "models": {"openfyxer.integrations", "openfyxer.services", "openfyxer.api", "openfyxer.ui", "reflex",
               "fastapi", "starlette", "rq"},
    "integrations": {"openfyxer.services", "openfyxer.api", "openfyxer.ui", "reflex", "fastapi", "starlette"},
    "services": {"openfyxer.api", "openfyxer.ui", "openfyxer.jobs", "reflex", "fastapi", "starlette", "rq"},
    "api": {"openfyxer.ui", "reflex", "rq"},
    "ui": {"openfyxer.api", "fastapi", "rq"},
}


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_imports_point_downward_only():
    """GIVEN every module of each layer WHEN its imports are read THEN none reaches a layer above it."""
    violations = []
    for layer, banned in FORBIDDEN.items():
        for path in (PKG / layer).rglob("*.py"):
            for name in _imports(path):
                if any(name == b or name.startswith(b + ".") for b in banned):
                    violations.append(f"{path.relative_to(PKG.parent)} imports {name}")
    assert not violations, "\n".join(violations)


def test_log_lines_do_not_carry_secrets(caplog):
    """GIVEN a log line with a password, token or API key WHEN it is logged THEN the values are masked."""
    log = logging.getLogger("openfyxer.test")
    handler = logging.Handler()
    records = []
    handler.emit = records.append
    handler.addFilter(RedactSecrets())
    log.addHandler(handler)
    try:
        log.warning("login password=%s token: %s", "hunter2hunter2", "eyJabc.def")
        log.warning('{"api_key": "sk-live-123", "user": "ana"}')
    finally:
        log.removeHandler(handler)
    text = " ".join(r.getMessage() for r in records)
    assert "hunter2hunter2" not in text and "eyJabc.def" not in text and "sk-live-123" not in text
    assert "ana" in text
