"""The ``.npz`` file format of :class:`nncore.Network`: a zip of ``.npy`` members (no pickle),
written atomically and read without trusting the file.

Writing (:func:`write`) goes to a fresh temporary file in the directory of the file finally
written, which then replaces it in one step (``os.replace``): an interrupted save leaves the old
file or none, never a partial one. A symbolic link is written through (its target is replaced,
the link stays); an existing file keeps its permission bits (a new one gets the umask's).
Anything but a regular file or a missing one (a FIFO, a device, a socket) is refused.

Reading (:func:`reading`) refuses anything that is not a regular file before reading a byte
(a FIFO is never waited on, ``/dev/zero`` never read), and checks every member's ``.npy``
header (dtype, shape, size) against what the caller expects before its data are read: no
object is unpickled and no declared size is allocated.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator

import numpy as np

FORMAT = "nncore.Network"
FORMAT_VERSION = 1
MEMBERS = ("format", "format_version", "layers_dims", "hidden_activation", "output", "dtype",
           "seed", "theta", "optimizer", "v", "s", "t", "step", "epochs", "costs")  # fmt: skip
# Longest string member accepted (characters); the real ones are at most 14.
MAX_STRING = 64
# What a damaged or hostile archive can make zipfile and numpy raise while it is read.
_READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError,
                TypeError, KeyError, NotImplementedError, RuntimeError, OverflowError,
                SyntaxError, zlib.error, struct.error)  # fmt: skip


class FileError(Exception):
    """What is wrong with a file being loaded; becomes a ValueError naming the path."""


def _kind(mode: int) -> str:
    for test, name in ((stat.S_ISFIFO, "a FIFO"), (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket")):  # fmt: skip
        if test(mode):
            return name
    return "not a regular file"


def _refuse_special(path: str, mode: int, doing: str) -> None:
    """Only regular files are read or replaced: a directory raises IsADirectoryError, a FIFO,
    device or socket ValueError (reading one could block for ever or never end)."""
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, f"cannot {doing}: is a directory", path)
    if not stat.S_ISREG(mode):
        raise ValueError(f"{path}: cannot {doing} {_kind(mode)}; a Network file is a regular file")


def _open_regular(path: str) -> int:
    """A read-only descriptor of the regular file ``path``: the type is checked before the
    open (opening a device can have effects) and again on the open descriptor (the path may
    have changed in between); the open never blocks (O_NONBLOCK, for a FIFO put in place)."""
    _refuse_special(path, os.stat(path).st_mode, "load")
    nonblock = getattr(os, "O_NONBLOCK", 0)
    fd = os.open(path, os.O_RDONLY | nonblock | getattr(os, "O_NOCTTY", 0)
                 | getattr(os, "O_BINARY", 0))  # fmt: skip
    try:
        _refuse_special(path, os.fstat(fd).st_mode, "load")
        if nonblock:
            os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


@contextlib.contextmanager
def reading(path) -> Iterator[Archive]:
    """The archive at ``path``; a damaged or foreign file raises ``ValueError`` naming the path
    and the problem (also for a :class:`FileError` raised by the caller inside the block)."""
    name = os.fspath(path)
    with os.fdopen(_open_regular(name), "rb") as f:
        try:
            with zipfile.ZipFile(f) as zf:
                yield Archive(zf, os.fstat(f.fileno()).st_size)
        except FileError as exc:
            raise ValueError(f"{name}: {exc}") from None
        except _READ_ERRORS as exc:
            raise ValueError(
                f"{name}: not a readable nncore.Network file ({type(exc).__name__}: {exc})"
            ) from exc


def _destination(path: str) -> tuple[str, os.stat_result | None]:
    """The file a save replaces: ``path``, or where its symbolic links lead (so the link
    stays and its target gets the data), with its status (``None`` if it does not exist)."""
    target = os.path.realpath(path) if os.path.islink(path) else path
    if os.path.islink(target):  # a cycle: realpath gave up
        raise OSError(errno.ELOOP, "cannot save the network: too many levels of symbolic links",
                      path)  # fmt: skip
    try:
        st = os.stat(target)
    except FileNotFoundError:
        return target, None
    _refuse_special(path, st.st_mode, "save over")
    return target, st


def write(path, arrays: dict) -> None:
    """``np.savez`` of ``arrays`` into a fresh temporary file next to the destination (see the
    module docstring), synced, then renamed over it (``os.replace`` is atomic on POSIX and
    Windows)."""
    target, existing = _destination(os.fspath(path))
    directory, base = os.path.split(target)
    directory = directory or "."
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot save the network: directory {directory!r} does not exist",
            os.fspath(path),
        )
    while True:
        tmp = os.path.join(directory, f".{base}.{secrets.token_hex(6)}.tmp")
        try:
            # O_EXCL: never write through someone else's file; mode 0o666 lets the umask decide
            # the permissions of a new file.
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0),
                         0o666)  # fmt: skip
            break
        except FileExistsError:
            continue
    try:
        with os.fdopen(fd, "wb") as f:
            if existing is not None and hasattr(os, "fchmod"):
                os.fchmod(f.fileno(), stat.S_IMODE(existing.st_mode) & 0o777)
            np.savez(f, **arrays)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


class Archive:
    """The members of a zip of ``.npy`` files, each read only after its header has been
    checked: no pickle, and no declared size is believed before it is compared with what the
    format expects and what the file can hold."""

    def __init__(self, zf: zipfile.ZipFile, file_size: int):
        self.zf = zf
        self.file_size = file_size
        self.infos: dict[str, zipfile.ZipInfo] = {}
        for info in zf.infolist():
            name = info.filename.removesuffix(".npy")
            if name in self.infos or not info.filename.endswith(".npy"):
                raise FileError(
                    f"not an nncore.Network file (unexpected or repeated zip member "
                    f"{info.filename!r})"
                )
            self.infos[name] = info

    def names(self) -> set[str]:
        return set(self.infos)

    def string(self, name: str) -> str:
        return str(self.array(name, "U", (), None)[()])

    def integer(self, name: str, low: int | None = None) -> int:
        value = int(self.array(name, "iu", (), None)[()])
        if low is not None and value < low:
            raise FileError(f"{name} must be >= {low}, got {value}")
        if value >= 2**63:
            raise FileError(f"{name} must be < 2**63, got {value}")
        return value

    def array(self, name: str, kinds: str, shape, itemsize=None) -> np.ndarray:
        """Member ``name`` as a native-byte-order array of a dtype kind in ``kinds`` (and
        ``itemsize`` bytes, if given) and shape ``shape`` (``None``: any 1-D)."""
        try:
            return self._array(name, kinds, shape, itemsize)
        except FileError:
            raise
        except _READ_ERRORS as exc:
            raise FileError(f"{name}: unreadable ({type(exc).__name__}: {exc})") from exc

    def _array(self, name, kinds, shape, itemsize) -> np.ndarray:
        info = self.infos[name]
        if info.flag_bits & 0x1:
            raise FileError(f"{name}: encrypted zip member")
        if info.compress_type == zipfile.ZIP_STORED:
            plausible = info.file_size == info.compress_size
        elif info.compress_type == zipfile.ZIP_DEFLATED:  # expands at most ~1032 times
            plausible = info.file_size <= 1100 * info.compress_size + 4096
        else:  # bzip2 and lzma can expand far more: no bound to check the size against
            raise FileError(f"{name}: zip compression method {info.compress_type} not accepted")
        if not plausible or info.header_offset + info.compress_size > self.file_size:
            raise FileError(
                f"{name}: zip member declares {info.file_size} bytes, more than the file holds"
            )
        with self.zf.open(info) as fp:
            version = np.lib.format.read_magic(fp)
            if version == (1, 0):
                dims, _, dt = np.lib.format.read_array_header_1_0(fp)
            elif version == (2, 0):
                dims, _, dt = np.lib.format.read_array_header_2_0(fp)
            else:
                raise FileError(f"{name}: unsupported .npy version {version}")
            want = f"dtype kind {kinds!r}" + (f" of {itemsize} bytes" if itemsize else "")
            if (
                dt.kind not in kinds or dt.hasobject or dt.fields is not None
                or dt.subdtype is not None or (itemsize is not None and dt.itemsize != itemsize)
                or (dt.kind == "U" and dt.itemsize > 4 * MAX_STRING)
            ):  # fmt: skip
                raise FileError(f"{name} must have {want}, got dtype {dt.str!r}")
            if shape is None:
                if len(dims) != 1:
                    raise FileError(f"{name} must be 1-D, got shape {dims}")
            elif dims != shape:
                raise FileError(f"{name} must have shape {shape}, got {dims}")
            count = 1
            for d in dims:
                count *= d
            nbytes = count * dt.itemsize
            if info.file_size != fp.tell() + nbytes:
                raise FileError(
                    f"{name}: header declares {nbytes} bytes of data, the member holds "
                    f"{info.file_size - fp.tell()}"
                )
            data = fp.read(nbytes)
            if len(data) != nbytes or fp.read(1):
                raise FileError(f"{name}: truncated member")
        return np.frombuffer(data, dt, count).reshape(dims).astype(dt.newbyteorder("="))
