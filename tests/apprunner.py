"""Start the production app the way `make run` does, on a free port, for end-to-end tests.

`make run` = `openfyxer.cli init-env` + `openfyxer.cli migrate` +
`reflex run --env prod --single-port --frontend-port $PORT --backend-port $PORT`, with bun from
tools/node_modules on PATH and Reflex told not to touch the network. This module repeats those
steps (keep it in step with the Makefile's `run` target and exports) rather than calling make,
so a test never triggers `pip install` or `npm install`.

Each app gets its own temporary folder holding the .env that init-env writes, the SQLite
database (OPENFYXER_DATA_DIR) and the log. Reflex compiles into the shared `.web` folder, so
only one app may be starting at a time: use one module- or session-scoped app.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.servers import free_port

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = Path(sys.executable).parent
# The first production build on 2 cores takes one to two minutes; later ones reuse .web.
START_TIMEOUT = 300.0
# Held while an app runs: a second app (another pytest process) would rebuild `.web` under it.
WEB_LOCK = Path(tempfile.gettempdir()) / f"openfyxer-web-{hashlib.sha1(str(ROOT).encode()).hexdigest()[:10]}.lock"


def _npm_registry() -> str:
    npm = shutil.which("npm")
    if not npm:
        return ""
    out = subprocess.run([npm, "config", "get", "registry"], capture_output=True, text=True, timeout=30)
    return out.stdout.strip()


def _dead_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def app_env(port: int, data_dir: Path, env_file: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment `make run` gives the app, with test settings and `extra` (OPENFYXER_* names)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENFYXER_")}
    env.update(
        PATH=os.pathsep.join([str(ROOT / "tools" / "node_modules" / ".bin"), str(VENV_BIN), env.get("PATH", "")]),
        REFLEX_USE_SYSTEM_BUN="1",
        REFLEX_TELEMETRY_ENABLED="false",
        REFLEX_CHECK_LATEST_VERSION="false",
        # The browser and fuzz tests register several users; a fresh install closes after the first.
        OPENFYXER_REGISTRATION="open",
        OPENFYXER_OUTBOUND="any",  # its mail servers are on 127.0.0.1 (conftest says why)
        NPM_CONFIG_REGISTRY=_npm_registry(),
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        PYTHONUNBUFFERED="1",
        OPENFYXER_ENV_FILE=str(env_file),
        OPENFYXER_ENVIRONMENT="test",
        OPENFYXER_DATA_DIR=str(data_dir),
        OPENFYXER_PORT=str(port),
        # As in tests/conftest.py: the test installs carry the small model (make test does not install the
        # 1.1 GB default), and an Ollama running on this machine must not answer for the app under test.
        OPENFYXER_LOCAL_MODEL="smollm2-135m",
        OPENFYXER_OLLAMA_URL=f"http://127.0.0.1:{_dead_port()}",
    )
    env.update(extra or {})
    return env


@dataclass
class RunningApp:
    proc: subprocess.Popen
    port: int
    tmp: Path
    log: Path
    env: dict[str, str]
    lock_fd: int | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:] if self.log.exists() else ""

    def stop(self, grace: float = 3.0) -> None:
        """Stop the whole process group (Reflex, its server workers, bun).

        The production server ignores SIGTERM once a browser has connected, so SIGKILL
        follows after a short grace period.
        """
        if self.proc.poll() is None:
            _signal_group(self.proc, signal.SIGTERM)
            try:
                self.proc.wait(grace)
            except subprocess.TimeoutExpired:
                pass
        # Children may outlive the leader; the group id is the leader's pid.
        _signal_group(self.proc, signal.SIGKILL)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            pass
        if self.lock_fd is not None:
            os.close(self.lock_fd)  # closing releases the flock
            self.lock_fd = None

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def _lock_web(timeout: float) -> int:
    fd = os.open(WEB_LOCK, os.O_CREAT | os.O_RDWR, 0o644)
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return fd
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                raise RuntimeError(f"another test app still holds {WEB_LOCK} (it builds into .web)") from None
            time.sleep(0.5)


def _run_step(args: list[str], env: dict[str, str], log: Path) -> None:
    with open(log, "ab") as out:
        out.write(f"$ {' '.join(args)}\n".encode())
        out.flush()
        done = subprocess.run(args, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=120)
    if done.returncode != 0:
        tail = log.read_text(errors="replace")[-4000:]
        raise RuntimeError(f"{' '.join(args[1:])} failed with exit code {done.returncode}\n{tail}")


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=5).status_code == 200
    except httpx.HTTPError:
        return False


def start_app(extra_env: dict[str, str] | None = None, timeout: float = START_TIMEOUT) -> RunningApp:
    """Migrate a fresh SQLite database and run `reflex run --env prod --single-port` until /health answers.

    `extra_env` adds or overrides variables, e.g. {"OPENFYXER_RATE_LIMIT_PER_MINUTE": "100000"}.
    """
    lock_fd = _lock_web(timeout)
    tmp = Path(tempfile.mkdtemp(prefix="of-app-"))
    port = free_port()
    log = tmp / "app.log"
    env = app_env(port, tmp / "data", tmp / ".env", extra_env)
    python = str(VENV_BIN / "python")
    try:
        _run_step([python, "-m", "openfyxer.cli", "init-env"], env, log)
        _run_step([python, "-m", "openfyxer.cli", "migrate"], env, log)
    except BaseException:
        os.close(lock_fd)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    with open(log, "ab") as out:
        proc = subprocess.Popen(
            [str(VENV_BIN / "reflex"), "run", "--env", "prod", "--single-port",
             "--frontend-port", str(port), "--backend-port", str(port)],
            cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own process group, so stop() reaches every child
        )
    app = RunningApp(proc=proc, port=port, tmp=tmp, log=log, env=env, lock_fd=lock_fd)
    try:
        _wait_healthy(app, timeout)
    except BaseException:  # Ctrl-C included: never leave a server behind
        app.cleanup()
        raise
    return app


def _wait_healthy(app: RunningApp, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if app.proc.poll() is not None:
            raise RuntimeError(f"reflex exited with code {app.proc.returncode} before /health answered\n"
                               f"{app.log_tail()}")
        if _healthy(app.url):
            return
        time.sleep(0.5)
    raise RuntimeError(f"/health did not answer within {timeout:.0f}s on {app.url}\n{app.log_tail()}")
