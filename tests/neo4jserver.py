"""A real Neo4j 5 for the tests: Maven Central's neo4j-harness (Community, 5.26 LTS, Java 17),
started in-process by tests/neo4j/Launcher.java on a free port.

The jars (about 135 MB) are fetched once with Maven into ~/.cache/openfyxer (outside the clone,
so CI and later runs reuse them) and the launcher is compiled there with javac.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from tests.servers import Server, free_port, wait_for

VERSION = "5.26.12"  # keep in step with tests/neo4j/pom.xml
HERE = Path(__file__).resolve().parent / "neo4j"
CACHE = Path(os.environ.get("OPENFYXER_CACHE", Path.home() / ".cache" / "openfyxer")) / f"neo4j-{VERSION}"


def _need(binary: str, package: str) -> str:
    path = shutil.which(binary)
    if not path:
        raise RuntimeError(f"{binary} not found: install the Debian package {package} (.ci/run does)")
    return path


def prepare() -> Path:
    """The harness jars and the compiled launcher, fetched and built on first use."""
    lib, classes = CACHE / "lib", CACHE / "classes"
    if not (lib / ".complete").exists():
        lib.mkdir(parents=True, exist_ok=True)
        subprocess.run([_need("mvn", "maven"), "-q", "-B", "-f", str(HERE / "pom.xml"), "dependency:copy-dependencies",
                        f"-DoutputDirectory={lib}", "-DincludeScope=runtime"], check=True, timeout=900)
        (lib / ".complete").touch()
    launcher = classes / "Launcher.class"
    source = HERE / "Launcher.java"
    if not launcher.exists() or launcher.stat().st_mtime < source.stat().st_mtime:
        classes.mkdir(parents=True, exist_ok=True)
        subprocess.run([_need("javac", "openjdk-17-jdk-headless"), "-d", str(classes), "-cp", f"{lib}/*", str(source)],
                       check=True, timeout=300)
    return CACHE


def start_neo4j() -> Server:
    home = prepare()
    tmp = Path(tempfile.mkdtemp(prefix="of-neo4j-"))
    port = free_port()
    log = tmp / "neo4j.log"
    out = open(log, "wb")  # noqa: SIM115 (held by the process)
    # stdin stays a pipe: the launcher stops when it closes, even if this test run is killed.
    proc = subprocess.Popen(
        [_need("java", "openjdk-17-jre-headless"), "-Xms256m", "-Xmx768m", "-XX:+UseSerialGC",
         "-cp", f"{home / 'classes'}:{home / 'lib'}/*", "Launcher", str(port), str(tmp / "data")],
        stdin=subprocess.PIPE, stdout=out, stderr=subprocess.STDOUT,
    )
    wait_for(lambda: b"BOLT " in log.read_bytes(), 120, "neo4j (harness)", proc, log)
    return Neo4jServer(proc=proc, tmp=tmp, port=port, url=f"bolt://127.0.0.1:{port}")


class Neo4jServer(Server):
    def stop(self) -> None:
        if self.proc.poll() is None and self.proc.stdin:
            self.proc.stdin.close()  # the launcher closes the database and exits
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                pass
        super().stop()
