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
    # Routes and pages never queue jobs: the service that made a change declares what follows it.
    "api": {"openfyxer.ui", "openfyxer.jobs", "reflex", "rq"},
    "ui": {"openfyxer.api", "openfyxer.jobs", "fastapi", "rq"},
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


def _modules() -> dict[str, Path]:
    found = {}
    for path in PKG.rglob("*.py"):
        name = ".".join(path.relative_to(PKG.parent).with_suffix("").parts)
        found[name.removesuffix(".__init__")] = path
    return found


def _module_imports(path: Path, modules: dict[str, Path]) -> set[str]:
    """The project modules one module imports, lazily or not (`from pkg import mod` counts as mod)."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names if a.name in modules}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                out |= {full} if full in modules else ({node.module} if node.module in modules else set())
    return out


def test_no_module_imports_itself_through_others():
    """GIVEN every module's imports (lazy ones too) WHEN followed THEN none leads back to where it began:
    a circle means two modules that cannot be understood, tested or moved apart."""
    modules = _modules()
    graph = {m: _module_imports(p, modules) - {m} for m, p in modules.items()}
    circles = []
    for start in graph:
        seen, todo = set(), [(start, (start,))]
        while todo:
            node, path = todo.pop()
            for nxt in graph[node]:
                if nxt == start:
                    circles.append(" -> ".join((*path, start)))
                elif nxt not in seen:
                    seen.add(nxt)
                    todo.append((nxt, (*path, nxt)))
    assert not circles, "\n".join(sorted(set(circles))[:10])


def test_every_job_a_service_declares_is_a_task():
    """GIVEN every `later(session, "name", ...)` in services WHEN the name is looked up THEN a task of
    that name exists in workers.tasks (a typo would otherwise fail only after the commit)."""
    from openfyxer import jobs

    names = set()
    for path in (PKG / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "later":
                assert isinstance(node.args[1], ast.Constant), f"{path}: a job name must be a literal"
                names.add(node.args[1].value)
    assert {"sync_account", "process_account", "draft_email", "index_account", "send_draft", "push_read_state",
            "index_document", "forget_document", "forget_account"} <= names
    for name in names:
        jobs.resolve(name)


def test_every_job_a_service_declares_names_its_owner():
    """GIVEN every `later(...)` in services WHEN its arguments are read THEN it names the user the job works
    for (`owner=`): the in-process runner takes users in turn, and a job without one would share the
    system's lane with the periodic jobs."""
    missing = []
    for path in (PKG / "services").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "later":
                if not any(k.arg == "owner" for k in node.keywords):
                    missing.append(f"{path.relative_to(PKG.parent)}:{node.lineno}")
    assert not missing, missing


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


def test_the_dashboard_sends_no_script_to_evaluate():
    """The Content-Security-Policy has no 'unsafe-eval' (api/headers.py): Reflex runs a script event that a
    handler sends back (call_script, call_function, run_script, and helpers built on them such as
    clear_selected_files) with eval, and an inline rx.script needs a hash nobody keeps. In a page, such
    helpers compile to code in the bundle and are fine; handlers reach the page through the bridge
    (ui/components/bridge.py, assets/app.js) instead."""
    in_handlers = {"call_script", "call_function", "run_script", "clear_selected_files", "set_clipboard"}
    offenders = []
    for path in PKG.rglob("*.py"):
        handlers = path.parent.name == "state"
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Attribute) and (node.attr in ("call_script", "call_function", "run_script")
                                                    or handlers and node.attr in in_handlers):
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno} {node.attr}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "script" \
                    and node.args:  # rx.script("inline code"); rx.script(src=...) is a file of this origin
                offenders.append(f"{path.relative_to(PKG)}:{node.lineno} inline rx.script")
    assert not offenders, offenders
