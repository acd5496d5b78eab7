"""Small filesystem helpers: atomic replacement, an inter-process lock, and private files and
directories (0600 and 0700 whatever the umask) for everything kept in the data dir."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700


def private_dir(path: Path) -> Path:
    """``path`` as a directory, creating it and any missing parents with mode 0700 whatever
    the umask; directories that exist already are left as they are."""
    missing = []
    current = path
    while not current.exists() and current != current.parent:
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        try:
            directory.mkdir(PRIVATE_DIR)
        except FileExistsError:
            continue  # another process made it (and sets its mode)
        os.chmod(directory, PRIVATE_DIR)
    if not path.is_dir():
        path.mkdir()  # raises the error that explains why it is not a directory
    return path


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """``os.open`` creating ``path`` if missing: a file this call creates gets mode 0600
    whatever the umask; one that exists already keeps its mode."""
    try:
        fd = os.open(path, flags | os.O_CREAT | os.O_EXCL, PRIVATE_FILE)
    except FileExistsError:
        return os.open(path, flags)
    os.fchmod(fd, PRIVATE_FILE)
    return fd


def write_atomic(path: Path, data: bytes, mode: int = PRIVATE_FILE) -> None:
    """Replace ``path`` so readers see the old or the new content, never a torn file; the
    new file has exactly ``mode`` (0600 unless told), whatever the umask."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.fchmod(fd, mode)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


@contextlib.contextmanager
def locked(path: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``path`` (created if missing) for the block."""
    fd = open_private(path)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)
