"""Shared helpers for the benchmarks in `bench/`: servers, wrk, a tiny HTTP client, and the report.

Every benchmark prints one JSON object on stdout; progress goes to stderr.
Servers run pinned to CPU 0 and load generators to CPU 1 (when `taskset` exists), so on a
two-core machine they do not fight over one core.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import datetime as dt
import json
import os
import platform
import re
import resource
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
VENV_PY = ROOT / ".venv" / "bin" / "python"
HUTONG = ROOT / ".venv" / "bin" / "hutong"
SERVER_CPU = "0"
CLIENT_CPU = "1"

# Mirrors the `uvicorn.run(...)` call in `hutong.cli.cmd_serve`, so that the bare apps run on
# exactly the server configuration Hutong does (uvicorn's "auto" picks uvloop and httptools).
UVICORN_KWARGS: dict[str, Any] = {
    "workers": 1,
    "proxy_headers": True,
    "access_log": False,
    "log_level": "warning",
    "ws_ping_interval": None,
    "loop": "auto",
    "http": "auto",
}

# Generous throttles so a benchmark registering many users from 127.0.0.1 is not refused.
GENEROUS_THROTTLES = {
    "HUTONG_REGISTER_LIMIT_IP": "1000000",
    "HUTONG_LOGIN_FAIL_LIMIT_IP": "1000000",
    "HUTONG_LOGIN_FAIL_LIMIT_ACCOUNT": "1000000",
}


def ensure_venv() -> None:
    """Re-run this script under the project's virtualenv if started with another Python."""
    if VENV_PY.exists() and Path(sys.prefix).resolve() != (ROOT / ".venv").resolve():
        os.execv(str(VENV_PY), [str(VENV_PY), *sys.argv])  # noqa: S606 -- our own venv


def note(msg: str) -> None:
    print(f"[bench] {msg}", file=sys.stderr, flush=True)


# -- machine and repository -----------------------------------------------------------------


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_info() -> dict[str, Any]:
    import uvicorn

    info: dict[str, Any] = {
        "cpu_model": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "uvicorn": uvicorn.__version__,
        "pinning": have_taskset(),
    }
    with contextlib.suppress(Exception):
        import fastapi
        import starlette

        info["fastapi"] = fastapi.__version__
        info["starlette"] = starlette.__version__
    return info


def git_commit() -> dict[str, Any]:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), *args], capture_output=True, text=True, check=False
        ).stdout.strip()

    return {
        "commit": git("rev-parse", "HEAD"),
        # Uncommitted changes outside bench/ would mean the figures are not of `commit`.
        "dirty_outside_bench": bool(git("status", "--porcelain", "--", ".", ":!bench")),
    }


def report(bench: str, results: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """The JSON object a benchmark prints: figures, units, machine, commit, timestamp."""
    return {
        "bench": bench,
        "results": results,
        **extra,
        "machine": machine_info(),
        "git": git_commit(),
        "timestamp": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }


def emit(obj: dict[str, Any]) -> None:
    sys.stdout.write(json.dumps(obj, indent=2) + "\n")
    sys.stdout.flush()


# -- servers --------------------------------------------------------------------------------


def have_taskset() -> bool:
    return shutil.which("taskset") is not None


def pinned(cmd: list[str], cpu: str) -> list[str]:
    return ["taskset", "-c", cpu, *cmd] if have_taskset() else cmd


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    port: int
    proc: subprocess.Popen[bytes]
    log_path: Path
    tmp: Path | None = None
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_lines(self) -> int:
        try:
            with self.log_path.open("rb") as f:
                return sum(1 for _ in f)
        except OSError:
            return 0

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.tmp is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)


def wait_ready(server: Server, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with {server.proc.returncode}:\n"
                + server.log_path.read_text(errors="replace")[-4000:]
            )
        try:
            with urllib.request.urlopen(server.base + path, timeout=2) as r:  # noqa: S310
                if r.status == 200:
                    return
        except Exception as exc:
            last = exc
        time.sleep(0.1)
    raise TimeoutError(f"{server.name} not ready at {path}: {last!r}")


_exported: dict[str, Path] = {}


def export_head() -> Path:
    """The committed HEAD, exported once per process to a temporary directory.

    Benchmarks measure HEAD by default, so that the reported commit is exactly what ran, and a
    colleague's half-finished edit in the working tree cannot break or skew the run.
    """
    if "head" not in _exported:
        dest = Path(tempfile.mkdtemp(prefix="hutong-bench-head-"))
        atexit.register(shutil.rmtree, dest, ignore_errors=True)
        archive = subprocess.run(
            ["git", "-C", str(ROOT), "archive", "HEAD"], capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        _exported["head"] = dest
    return _exported["head"]


def source_root(worktree: bool) -> Path | None:
    """Where the measured Hutong's code comes from: None means the working tree."""
    if worktree:
        return None
    src = export_head()
    env = {**os.environ, "PYTHONPATH": str(src / "src")}
    found = subprocess.run(
        [str(VENV_PY), "-c", "import hutong; print(hutong.__file__)"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    if not found.startswith(str(src)):
        raise RuntimeError(f"PYTHONPATH={src / 'src'} still imports hutong from {found}")
    return src


def describe_source(src: Path | None) -> dict[str, Any]:
    if src is None:
        return {"tree": "working tree", "path": str(ROOT / "src"), **git_commit()}
    return {"tree": "HEAD (git archive)", "commit": git_commit()["commit"]}


def start_hutong(
    extra_env: dict[str, str] | None = None, name: str = "hutong", src: Path | None = None
) -> Server:
    """`hutong serve` on a free port with a fresh data dir (SQLite), pinned to CPU 0.

    `src` is a checkout (e.g. `export_head()`) whose `src/` is imported instead of the working
    tree that the virtualenv's editable install points at.
    """
    tmp = Path(tempfile.mkdtemp(prefix="hutong-bench-"))
    port = free_port()
    env = {
        k: v for k, v in os.environ.items() if not k.startswith("HUTONG_")
    }  # nothing leaks in from the caller's shell
    if src is not None:
        # Ahead of the editable install's path entry, so `hutong` is imported from `src`.
        env["PYTHONPATH"] = str(src / "src")
    env.update(
        HUTONG_DATA_DIR=str(tmp / "data"),
        HUTONG_PASSWORD_PROFILE="test",  # noqa: S106 -- a hashing profile, not a password
        HUTONG_LOG_LEVEL="WARNING",
        # The mini-program socket on a free port of its own (by default the next port, which
        # another process may hold).
        HUTONG_MINIAPP_ORIGIN=f"http://127.0.0.1:{free_port()}",
        **GENEROUS_THROTTLES,
    )
    env.update(extra_env or {})
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            pinned([str(HUTONG), "serve", "--port", str(port)], SERVER_CPU),
            env=env,
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(
        name, port, proc, log_path, tmp, {k: v for k, v in env.items() if "HUTONG" in k}
    )
    try:
        wait_ready(server, "/readyz")
    except BaseException:
        server.stop()
        raise
    return server


def start_uvicorn_app(target: str, name: str) -> Server:
    """A `module:attr` ASGI app under uvicorn with Hutong's server flags, pinned to CPU 0."""
    tmp = Path(tempfile.mkdtemp(prefix="hutong-bench-"))
    port = free_port()
    code = (
        "import sys, uvicorn, json; "
        f"sys.path.insert(0, {str(ROOT / 'bench')!r}); "
        f"uvicorn.run({target!r}, host='127.0.0.1', port={port}, "
        f"**json.loads({json.dumps(UVICORN_KWARGS)!r}))"
    )
    log_path = tmp / "server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            pinned([str(VENV_PY), "-c", code], SERVER_CPU),
            cwd=tmp,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    server = Server(name, port, proc, log_path, tmp)
    try:
        wait_ready(server, "/")
    except BaseException:
        server.stop()
        raise
    return server


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        yield server
    finally:
        server.stop()


# -- wrk --------------------------------------------------------------------------------------


def ensure_wrk() -> str | None:
    """Path of `wrk`, trying `apt-get install -y wrk` once if it is missing."""
    path = shutil.which("wrk")
    if path or not shutil.which("apt-get"):
        return path
    note("wrk not found; trying apt-get install -y wrk")
    subprocess.run(
        ["apt-get", "install", "-y", "wrk"], capture_output=True, check=False, timeout=300
    )
    return shutil.which("wrk")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(text: str) -> float:
    m = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(m.group(1)) * _UNITS[m.group(2)] if m else float("nan")


def parse_wrk(out: str) -> dict[str, Any]:
    res: dict[str, Any] = {}
    if m := re.search(r"Requests/sec:\s+([\d.]+)", out):
        res["rps"] = float(m.group(1))
    if m := re.search(r"(\d+) requests in ([\d.]+\w+)", out):
        res["requests"] = int(m.group(1))
        res["duration_ms"] = _ms(m.group(2))
    if m := re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out):
        res["non_2xx"] = int(m.group(1))
    else:
        res["non_2xx"] = 0
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    res["socket_errors"] = sum(int(x) for x in errs.groups()) if errs else 0
    if m := re.search(r"Latency\s+(\S+)\s+(\S+)\s+(\S+)", out):
        res["latency_avg_ms"] = round(_ms(m.group(1)), 3)
        res["latency_max_ms"] = round(_ms(m.group(3)), 3)
    for pct in ("50", "99"):
        if m := re.search(rf"^\s+{pct}%\s+(\S+)", out, re.M):
            res[f"latency_p{pct}_ms"] = round(_ms(m.group(1)), 3)
    return res


def _busy_ticks() -> int:
    """CPU ticks spent busy (not idle or iowait) by the whole machine so far."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(fields) - fields[3] - fields[4]


def _proc_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])


def wait_for_quiet(max_busy_pct: float = 15.0, max_wait_s: float = 20.0) -> bool:
    """Wait (up to `max_wait_s`) for a second in which the whole machine was busy for less
    than `max_busy_pct` of one core; whether it came. Call it while our own server is idle."""
    hz = os.sysconf("SC_CLK_TCK")
    deadline = time.monotonic() + max_wait_s
    waited = False
    while True:
        before, t0 = _busy_ticks(), time.monotonic()
        time.sleep(1.0)
        busy_pct = 100 * (_busy_ticks() - before) / hz / (time.monotonic() - t0)
        if busy_pct < max_busy_pct:
            return True
        if time.monotonic() > deadline:
            note(f"machine still busy ({busy_pct:.0f}% of a core); measuring anyway")
            return False
        if not waited:
            note(f"machine busy ({busy_pct:.0f}% of a core); waiting for quiet")
            waited = True


class CpuWatch:
    """CPU used between start and `stop()` by the server, by this process and its waited
    children (the client), and by everything else on the machine (`foreign_cpu_pct`, as % of
    one core: if it is not near 0, something else competed and the figures are low)."""

    def __init__(self, server_pid: int | None) -> None:
        self.server_pid = server_pid
        self.hz = os.sysconf("SC_CLK_TCK")
        self.busy0 = _busy_ticks()
        self.srv0 = _proc_ticks(server_pid) if server_pid else 0
        self.client0 = self._client_s()
        self.t0 = time.monotonic()

    @staticmethod
    def _client_s() -> float:
        me = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime

    def stop(self) -> dict[str, float | None]:
        wall = time.monotonic() - self.t0
        client_s = self._client_s() - self.client0
        if not self.server_pid:
            return {
                "server_cpu_pct": None,
                "client_cpu_pct": round(100 * client_s / wall, 1),
                "foreign_cpu_pct": None,
            }
        server_s = (_proc_ticks(self.server_pid) - self.srv0) / self.hz
        foreign = (_busy_ticks() - self.busy0) / self.hz - client_s - server_s
        return {
            "server_cpu_pct": round(100 * server_s / wall, 1),
            "client_cpu_pct": round(100 * client_s / wall, 1),
            "foreign_cpu_pct": round(max(0.0, 100 * foreign / wall), 1),
        }


def run_wrk(
    wrk: str,
    url: str,
    *,
    seconds: float,
    connections: int = 32,
    headers: dict[str, str] | None = None,
    server_pid: int | None = None,
) -> dict[str, Any]:
    """One wrk run: wrk's figures plus the `CpuWatch` shares during it."""
    cmd = [wrk, "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency", "--timeout", "5s"]
    for k, v in (headers or {}).items():
        cmd += ["-H", f"{k}: {v}"]
    watch = CpuWatch(server_pid)
    out = subprocess.run(
        pinned([*cmd, url], CLIENT_CPU), capture_output=True, text=True, check=True
    ).stdout
    cpu = watch.stop()
    res = parse_wrk(out)
    if "rps" not in res:
        raise RuntimeError(f"could not parse wrk output:\n{out}")
    if cpu["server_cpu_pct"] is not None and res.get("requests"):
        # Server CPU per request: unlike rps, hardly moved by other load on the machine.
        cpu_s = cpu["server_cpu_pct"] / 100 * res["duration_ms"] / 1000
        res["server_cpu_us_per_req"] = round(cpu_s * 1e6 / res["requests"], 1)
    return {**res, **cpu}


# -- a small keep-alive HTTP/1.1 client (setup, and load where wrk cannot be used) ------------


class HttpConn:
    """One keep-alive connection; requests are sent one at a time."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str):
        self.reader = reader
        self.writer = writer
        self.host = host

    @classmethod
    async def open(cls, host: str, port: int) -> HttpConn:
        reader, writer = await asyncio.open_connection(host, port)
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer, f"{host}:{port}")

    def build(self, method: str, path: str, body: Any = None, token: str | None = None) -> bytes:
        payload = b"" if body is None else json.dumps(body).encode()
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}"]
        if token:
            lines.append(f"Authorization: Bearer {token}")
        if body is not None:
            lines += ["Content-Type: application/json", f"Content-Length: {len(payload)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + payload

    async def send_raw(self, request: bytes) -> tuple[int, bytes]:
        self.writer.write(request)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length = 0
        for line in head.split(b"\r\n")[1:]:
            if line[:15].lower() == b"content-length:":
                length = int(line[15:])
                break
        body = await self.reader.readexactly(length) if length else b""
        return status, body

    async def request(
        self, method: str, path: str, body: Any = None, token: str | None = None
    ) -> tuple[int, Any]:
        status, raw = await self.send_raw(self.build(method, path, body, token))
        return status, (json.loads(raw) if raw else None)

    async def close(self) -> None:
        self.writer.close()
        with contextlib.suppress(Exception):
            await self.writer.wait_closed()


async def register_users(
    port: int, n: int, *, prefix: str = "bench", concurrency: int = 8
) -> list[str]:
    """Register `n` users and sign each in as an API client; their bearer tokens, in order."""
    tokens: list[str] = [""] * n
    queue: asyncio.Queue[int] = asyncio.Queue()
    for i in range(n):
        queue.put_nowait(i)
    password = "bench-password-1"  # noqa: S105 -- throwaway benchmark users

    async def worker() -> None:
        conn = await HttpConn.open("127.0.0.1", port)
        try:
            while not queue.empty():
                i = queue.get_nowait()
                handle = f"{prefix}{i:05d}"
                creds = {"handle": handle, "password": password}
                status, body = await conn.request("POST", "/auth/register", creds)
                if status != 201:
                    raise RuntimeError(f"register {handle}: {status} {body}")
                status, body = await conn.request("POST", "/auth/token", creds)
                if status != 200 or not body.get("token"):
                    raise RuntimeError(f"token {handle}: {status} {body}")
                tokens[i] = body["token"]
        finally:
            await conn.close()

    await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
    return tokens
