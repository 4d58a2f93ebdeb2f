"""The post lanes' socket directory: a service removes its own when it stops, and the next
service removes those that killed services left behind, but never a running service's."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from service.lanes import DIRECTORY_PREFIX, SOCKET_NAME, socket_path
from tests.service_support import running_service


@pytest.fixture
def temp_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A temporary directory of the test's own, for this process and the services it starts."""
    where = tmp_path / "tmp"
    where.mkdir()
    monkeypatch.setenv("TMPDIR", str(where))
    monkeypatch.setattr(tempfile, "tempdir", str(where))
    return where


def dead_pid() -> int:
    """The process id of a process that has exited."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def lanes_dirs(where: Path) -> list[Path]:
    return sorted(p for p in where.iterdir() if p.name.startswith(DIRECTORY_PREFIX))


def left_dir(where: Path, pid: int, listening: bool = False) -> tuple[Path, socket.socket]:
    """A lanes directory as a service of ``pid`` leaves it: its socket bound, and listened on
    only if ``listening`` (close the returned socket to end that)."""
    directory = where / f"{DIRECTORY_PREFIX}{pid}-x1y2"
    directory.mkdir(mode=0o700)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(directory / SOCKET_NAME))
    if listening:
        server.listen(1)
    else:
        server.close()
    return directory, server


def test_a_new_socket_path_is_a_private_directory_named_after_the_service(temp_dir: Path) -> None:
    path = Path(socket_path())
    assert path.name == SOCKET_NAME
    assert path.parent.parent == temp_dir
    assert path.parent.name.startswith(f"{DIRECTORY_PREFIX}{os.getpid()}-")
    assert path.parent.stat().st_mode & 0o777 == 0o700


def test_a_dead_services_directory_is_removed_at_the_next_start(temp_dir: Path) -> None:
    orphan, _ = left_dir(temp_dir, dead_pid())
    mine = Path(socket_path()).parent
    assert lanes_dirs(temp_dir) == [mine]
    assert not orphan.exists()


def test_a_running_services_directory_stays(temp_dir: Path) -> None:
    parent = os.getppid()  # alive: it runs this test
    running, _ = left_dir(temp_dir, parent)
    socket_path()
    assert running.exists()


def test_a_directory_whose_socket_is_listened_on_stays(temp_dir: Path) -> None:
    """A process id that looks dead (another pid namespace) with a socket that accepts."""
    listened, server = left_dir(temp_dir, dead_pid(), listening=True)
    try:
        socket_path()
        assert listened.exists()
    finally:
        server.close()


def test_other_directories_stay(temp_dir: Path) -> None:
    others = [temp_dir / "dedup-lanes-abc", temp_dir / "other-1-x", temp_dir / "dedup-lanes-9"]
    for other in others:
        other.mkdir()
    socket_path()
    assert all(other.exists() for other in others)


def test_a_killed_services_lanes_directory_is_gone_after_a_restart(temp_dir: Path) -> None:
    """SIGKILL leaves the directory (the service cannot remove it); the next start does."""
    db = temp_dir.parent / "index.db"
    with running_service(["service"], db) as first:
        [left] = lanes_dirs(temp_dir)
        first.process.kill()
        first.process.wait(10)
    deadline = time.monotonic() + 30  # the writer's process notices its parent is gone
    while os.path.exists(left / SOCKET_NAME) and time.monotonic() < deadline:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(left / SOCKET_NAME))
            except OSError:
                break
        time.sleep(0.1)
    assert left.exists()
    with running_service(["service"], db) as second:
        [now] = lanes_dirs(temp_dir)
        assert now != left
        assert second.stop() == 0
    assert lanes_dirs(temp_dir) == []
