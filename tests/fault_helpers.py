"""Helpers for the fault tests: gunicorn's workers, who serves a connection, a client that
reads slowly, log lines awaited with a deadline, and a small tmpfs to fill."""

from __future__ import annotations

import os
import queue
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

import pytest
import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection


def child_pids(pid: int) -> set[int]:
    """The live children of a process (gunicorn's master: its workers)."""
    children: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            children |= {int(c) for c in (task / "children").read_text().split()}
        except FileNotFoundError:  # the thread ended while we looked
            continue
    return children


def serving_pid(server_port: int, client_port: int, candidates: set[int]) -> int | None:
    """Which of the candidate processes holds the server end of the loopback connection
    from client_port to server_port (the worker that accepted it)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local, remote = (int(address.split(":")[1], 16) for address in fields[1:3])
        if (local, remote) == (server_port, client_port):
            inode = fields[9]
    if inode is None:
        return None
    for pid in candidates:
        for fd in Path(f"/proc/{pid}/fd").iterdir():
            try:
                if os.readlink(fd) == f"socket:[{inode}]":
                    return pid
            except OSError:  # closed while we looked
                continue
    return None


def until(what: str, check, timeout: float = 30) -> Any:
    """check()'s first truthy answer, polled; AssertionError naming `what` after timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if found := check():
            return found
        time.sleep(0.05)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def kernel_send_buffer_max() -> int:
    """The most a TCP socket here may queue for sending (net.ipv4.tcp_wmem's maximum)."""
    return int(Path("/proc/sys/net/ipv4/tcp_wmem").read_text().split()[2])


class _SmallWindow(HTTPAdapter):
    """Connections with a small receive buffer, so the server cannot push a whole large
    answer into the kernel ahead of the client's reads."""

    def __init__(self, receive_buffer: int) -> None:
        self._options = [*HTTPConnection.default_socket_options,
                         (socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)]
        super().__init__()

    def init_poolmanager(self, *args, **kwargs) -> None:
        kwargs["socket_options"] = self._options
        super().init_poolmanager(*args, **kwargs)


def slow_reader(receive_buffer: int = 16384) -> requests.Session:
    """A requests session whose connections have a small receive buffer."""
    session = requests.Session()
    session.mount("http://", _SmallWindow(receive_buffer))
    return session


class Lines:
    """A process's output read line by line in a thread, so a test can wait for a line
    with a deadline instead of blocking on the pipe forever."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line)
        self._queue.put(None)  # end of output

    def wait_for(self, needle: str, timeout: float) -> str:
        """The first line (from here on) containing needle; AssertionError after timeout."""
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self._queue.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                raise AssertionError(f"output ended before {needle!r}:\n{''.join(self.seen)}")
            self.seen.append(line)
            if needle in line:
                return line
        raise AssertionError(f"no {needle!r} within {timeout} s:\n{''.join(self.seen)}")


def _mount(*args: str) -> None:
    subprocess.run(["mount", *args], check=True, capture_output=True, text=True, timeout=30)


@contextmanager
def tmpfs(path: Path, size_kb: int) -> Iterator[Path]:
    """A tmpfs of size_kb mounted on path (created if need be), unmounted afterwards.

    Mounting needs root (CAP_SYS_ADMIN): without it the test is skipped on a developer's
    machine, and fails in CI (CI=true), where it must run."""
    path.mkdir(parents=True, exist_ok=True)
    try:
        _mount("-t", "tmpfs", "-o", f"size={size_kb}k", "tmpfs", str(path))
    except (OSError, subprocess.CalledProcessError) as exc:
        detail = getattr(exc, "stderr", None) or exc
        message = (f"mounting a tmpfs needs root (CAP_SYS_ADMIN) and the mount command: "
                   f"{str(detail).strip()}")
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield path
    finally:
        result = subprocess.run(["umount", str(path)], capture_output=True, text=True,
                                timeout=30)
        if result.returncode != 0:  # something still has a file open there: detach it
            subprocess.run(["umount", "-l", str(path)], check=True, timeout=30)


def resize_tmpfs(path: Path, size_kb: int) -> None:
    """Give the tmpfs mounted on path a new size (at least what it holds)."""
    _mount("-o", f"remount,size={size_kb}k", str(path))


def used_kb(path: Path) -> int:
    """Kilobytes in use on the file system holding path."""
    stat = os.statvfs(path)
    return (stat.f_blocks - stat.f_bfree) * stat.f_frsize // 1024
