"""Network.save / Network.load: exact round trips that continue training bit for bit, atomic
writes, and files that are truncated, corrupted or hostile (each refused with a ValueError
naming the path, without unpickling anything or believing a declared size)."""

from __future__ import annotations

import io
import os
import pathlib
import pickle
import time
import tracemalloc
import zipfile

import numpy as np
import pytest

import nncore

TRAIN = {"learning_rate": 0.01, "mini_batch_size": 16, "keep_prob": 0.8, "lambd": 0.05,
         "decay": "update_lr", "decay_rate": 0.1}  # fmt: skip


def _problem(n_x, n_out, output, m=50, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n_x, m))
    if output == "softmax":
        return X, rng.integers(0, n_out, (1, m))
    if output == "sigmoid":
        return X, (rng.random((n_out, m)) > 0.5).astype(np.float64)
    return X, rng.standard_normal((n_out, m))


def _network(output="sigmoid", hidden="relu", dtype="float64", optimizer="adam", epochs=6):
    n_out = 1 if output == "sigmoid" else 3
    net = nncore.Network([3, 5, 4, n_out], hidden, output, dtype=dtype, seed=11)
    X, Y = _problem(3, n_out, output)
    if optimizer is not None:
        net.fit(X, Y, optimizer=optimizer, num_epochs=epochs, **TRAIN)
    return net, X, Y


def _state(net):
    """Everything a network is, as exact bytes (NaN and -0.0 included)."""

    def raw(a):
        return None if a is None else (a.dtype.str, a.shape, a.tobytes())

    return (
        net.layers_dims, net.hidden_activation, net.output, net.dtype, net.seed, net.epochs,
        raw(net.costs), raw(net._theta), net._optimizer, raw(net._v), raw(net._s), net._t,
        net._step,
    )  # fmt: skip


OPTIMIZERS = [None, "gd", "momentum", "adam"]


@pytest.mark.parametrize("optimizer", OPTIMIZERS)
@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("hidden", ["relu", "tanh"])
@pytest.mark.parametrize("output", ["sigmoid", "softmax", "identity"])
def test_round_trip_is_exact_and_training_continues_bitwise(
    tmp_path, output, hidden, dtype, optimizer
):
    net, X, Y = _network(output, hidden, dtype, optimizer)
    path = tmp_path / "net.npz"
    net.save(path)
    back = nncore.Network.load(path)
    assert _state(back) == _state(net)
    assert back.optimizer_state["t"] == net.optimizer_state["t"]
    if optimizer == "adam":
        assert net._t > 0  # the state compared is not trivial
        assert net._s.any()
    for n in (net, back):
        n.fit(X, Y, optimizer=optimizer or "adam", num_epochs=5, **TRAIN)
    assert _state(back) == _state(net)
    # Switching optimizer after loading also matches.
    for n in (net, back):
        n.fit(X, Y, optimizer="momentum", num_epochs=2, **TRAIN)
    assert _state(back) == _state(net)


def test_from_parameters_network_round_trips(tmp_path):
    net = _network(optimizer=None)[0]
    net = nncore.Network.from_parameters(net.parameters, "tanh", seed=5)
    net.save(tmp_path / "p.npz")
    back = nncore.Network.load(tmp_path / "p.npz")
    assert _state(back) == _state(net)


def test_diverged_network_loads_back_as_it_was(tmp_path):
    """Decided: non-finite parameters and costs are data, kept as saved (trained on past the
    divergence with on_nonfinite="ignore")."""
    X, Y = _problem(2, 1, "identity", m=64, seed=11)
    net = nncore.Network([2, 4, 1], output="identity", seed=1)
    net.fit(X * 1e3, Y, optimizer="gd", learning_rate=10.0, num_epochs=50, on_nonfinite="ignore")
    assert not np.isfinite(net.costs).all()
    assert not np.isfinite(net._theta).all()
    net.save(tmp_path / "d.npz")
    assert _state(nncore.Network.load(tmp_path / "d.npz")) == _state(net)


# ---------------------------------------------------------------------------------------------
# Paths and atomic writes
# ---------------------------------------------------------------------------------------------


def test_str_and_pathlib_paths_and_the_exact_name(tmp_path):
    net, _, _ = _network()
    net.save(str(tmp_path / "a.npz"))
    net.save(tmp_path / "b")  # no suffix: written under exactly this name
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npz", "b"]
    for path in (tmp_path / "a.npz", str(tmp_path / "b"), pathlib.PurePath(tmp_path / "b")):
        assert _state(nncore.Network.load(path)) == _state(net)
    with pytest.raises(FileNotFoundError):
        nncore.Network.load(tmp_path / "b.npz")


def test_save_into_a_missing_directory(tmp_path):
    net, _, _ = _network()
    target = tmp_path / "no" / "such" / "dir" / "n.npz"
    with pytest.raises(FileNotFoundError, match="does not exist") as info:
        net.save(target)
    assert info.value.filename == str(target)
    assert list(tmp_path.iterdir()) == []


def test_save_over_a_directory_fails_cleanly(tmp_path):
    (tmp_path / "d").mkdir()
    with pytest.raises(IsADirectoryError):
        _network()[0].save(tmp_path / "d")
    assert [p.name for p in tmp_path.iterdir()] == ["d"]
    with pytest.raises(IsADirectoryError):
        nncore.Network.load(tmp_path / "d")


def test_permissions_follow_the_umask(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    _network()[0].save(tmp_path / "n.npz")
    assert (tmp_path / "n.npz").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_interrupted_save_leaves_the_old_file_or_none(tmp_path, monkeypatch, interruption):
    old, _, _ = _network(epochs=3)
    new, _, _ = _network(epochs=9)
    path = tmp_path / "n.npz"
    old.save(path)
    real_savez = np.savez

    def half_then_fail(file, **arrays):
        buffer = io.BytesIO()
        real_savez(buffer, **arrays)
        file.write(buffer.getvalue()[: len(buffer.getvalue()) // 2])
        raise interruption("disk full, or Ctrl-C")

    monkeypatch.setattr(np, "savez", half_then_fail)
    with pytest.raises(interruption):
        new.save(path)
    with pytest.raises(interruption):
        new.save(tmp_path / "fresh.npz")
    monkeypatch.undo()
    assert [p.name for p in tmp_path.iterdir()] == ["n.npz"]  # no temporary file left
    assert _state(nncore.Network.load(path)) == _state(old)
    new.save(path)  # and a save that completes replaces it
    assert _state(nncore.Network.load(path)) == _state(new)


# ---------------------------------------------------------------------------------------------
# Truncated, corrupted and foreign files
# ---------------------------------------------------------------------------------------------


def _saved(tmp_path):
    net, _, _ = _network(optimizer="adam")
    path = tmp_path / "good.npz"
    net.save(path)
    return net, path.read_bytes()


def _refused(path, match=None):
    with pytest.raises(ValueError, match=match) as info:
        nncore.Network.load(path)
    assert str(path) in str(info.value)
    return str(info.value)


def _positions(data):
    """Byte offsets to damage: every third in the zip's central directory (member names,
    sizes, offsets, CRCs) and its end record, every 32nd before (member headers and data)."""
    central = data.find(b"PK\x01\x02")
    assert central > 0
    return [*range(0, central, 32), *range(central, len(data), 3)]


def test_truncations_are_refused(tmp_path):
    _, data = _saved(tmp_path)
    path = tmp_path / "cut.npz"
    for n in _positions(data):
        path.write_bytes(data[:n])
        _refused(path)


def test_single_byte_corruptions_are_refused_or_harmless(tmp_path):
    """The zip's CRC covers every member; the bytes outside (timestamps, attributes) do not
    matter. So flipping any byte either is refused or loads the very same network."""
    net, data = _saved(tmp_path)
    path = tmp_path / "bad.npz"
    outcomes = []
    for i in _positions(data):
        corrupt = bytearray(data)
        corrupt[i] ^= 0x5A
        path.write_bytes(bytes(corrupt))
        try:
            outcomes.append(_state(nncore.Network.load(path)) == _state(net))
        except ValueError as exc:
            outcomes.append(str(path) in str(exc) and "refused")
    assert False not in outcomes, f"byte {outcomes.index(False)} changed the network silently"
    assert outcomes.count("refused") > 0.6 * len(outcomes)


@pytest.mark.parametrize("size", [0, 1, 22, 100, 4096, 100_000])
def test_random_bytes_are_refused(tmp_path, size):
    path = tmp_path / "random.npz"
    path.write_bytes(np.random.default_rng(size).bytes(size))
    _refused(path, "not a readable nncore.Network file")


def test_other_kinds_of_files_are_refused(tmp_path):
    np.save(tmp_path / "array.npy", np.zeros(3))
    (tmp_path / "text.npz").write_text("W1 = [[1, 2]]\n")
    np.savez(tmp_path / "other.npz", a=np.zeros(3))
    _refused(tmp_path / "array.npy", "not a readable")
    _refused(tmp_path / "text.npz", "not a readable")
    _refused(tmp_path / "other.npz", r"not an nncore\.Network file")
    with pytest.raises(FileNotFoundError):
        nncore.Network.load(tmp_path / "missing.npz")


# ---------------------------------------------------------------------------------------------
# Well-formed archives with wrong contents
# ---------------------------------------------------------------------------------------------


def _fields(net, tmp_path):
    net.save(tmp_path / "src.npz")
    with np.load(tmp_path / "src.npz", allow_pickle=False) as f:
        return {k: f[k] for k in f.files}


def _write_zip(path, members: dict, compression=zipfile.ZIP_STORED):
    """A zip of raw member bytes (``.npy`` files or anything else)."""
    with zipfile.ZipFile(path, "w", compression) as zf:
        for name, data in members.items():
            zf.writestr(name, data)


def _npy(array) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


def test_a_file_written_with_plain_numpy_loads(tmp_path):
    """The baseline of the cases below: the fields written back by np.savez (as the first
    version of save did), big-endian, or compressed, load to the same network."""
    net, _, _ = _network()
    fields = _fields(net, tmp_path)
    np.savez(tmp_path / "plain.npz", **fields)
    np.savez_compressed(tmp_path / "compressed.npz", **fields)
    swapped = {k: v.astype(v.dtype.newbyteorder(">")) for k, v in fields.items()}
    np.savez(tmp_path / "big_endian.npz", **swapped)
    for name in ("plain.npz", "compressed.npz", "big_endian.npz"):
        assert _state(nncore.Network.load(tmp_path / name)) == _state(net), name


def _momentum_fields(tmp_path):
    return _fields(_network(optimizer="momentum")[0], tmp_path)


# (description, change to the fields of a trained Adam network, message expected)
BAD_FIELDS = [
    ("theta too short", {"theta": lambda f: f["theta"][:-1]}, r"theta must have shape \(49,\)"),
    ("theta too long", {"theta": lambda f: np.append(f["theta"], 0.0)}, "theta must have shape"),
    ("theta float32", {"theta": lambda f: f["theta"].astype(np.float32)}, "theta must have dtype"),
    ("theta int", {"theta": lambda f: f["theta"].astype(np.int64)}, "theta must have dtype"),
    ("theta complex", {"theta": lambda f: f["theta"].astype(complex)}, "theta must have dtype"),
    ("theta 2-D", {"theta": lambda f: f["theta"].reshape(1, -1)}, "theta must have shape"),
    ("theta string", {"theta": lambda f: np.str_("1 2 3")}, "theta must have dtype"),
    ("v mismatched", {"v": lambda f: f["v"][:5]}, "v must have shape"),
    ("s empty for adam", {"s": lambda f: f["s"][:0]}, "s must have shape"),
    ("v float32", {"v": lambda f: f["v"].astype(np.float32)}, "v must have dtype"),
    ("layers_dims negative", {"layers_dims": lambda f: np.array([3, -5, 4, 1])},
     r"layers_dims\[1\] must be >= 1"),
    ("layers_dims zero", {"layers_dims": lambda f: np.array([3, 5, 0, 1])}, r"layers_dims\[2\]"),
    ("layers_dims one entry", {"layers_dims": lambda f: np.array([3])}, "at least 2"),
    ("layers_dims empty", {"layers_dims": lambda f: np.zeros(0, np.int64)}, "at least 2"),
    ("layers_dims huge", {"layers_dims": lambda f: np.array([10**6, 10**6, 1])},
     r"theta must have shape \(1000002000001,\)"),
    ("layers_dims float", {"layers_dims": lambda f: f["layers_dims"].astype(float)},
     "layers_dims must have dtype"),
    ("layers_dims 2-D", {"layers_dims": lambda f: f["layers_dims"].reshape(2, 2)},
     "layers_dims must be 1-D"),
    ("layers_dims other net", {"layers_dims": lambda f: np.array([3, 5, 5, 1])},
     "theta must have shape"),
    ("format", {"format": lambda f: np.str_("keras.Model")}, r"not an nncore\.Network file"),
    ("format as bytes", {"format": lambda f: np.bytes_(b"nncore.Network")}, "format must have"),
    ("format_version 2", {"format_version": lambda f: np.int64(2)},
     "format_version 2, this nncore reads 1"),
    ("format_version 0", {"format_version": lambda f: np.int64(0)}, "format_version 0"),
    ("format_version float", {"format_version": lambda f: np.float64(1.0)},
     "format_version must have dtype"),
    ("format_version array", {"format_version": lambda f: np.array([1])},
     r"format_version must have shape \(\)"),
    ("hidden_activation evil", {"hidden_activation": lambda f: np.str_("evil")},
     "hidden_activation must be one of"),
    ("output evil", {"output": lambda f: np.str_("__import__('os')")}, "output must be one of"),
    ("string too long", {"output": lambda f: np.str_("sigmoid" * 20)}, "output must have"),
    ("dtype float16", {"dtype": lambda f: np.str_("float16")}, "dtype must be 'float64' or"),
    ("dtype alias", {"dtype": lambda f: np.str_("double")}, "dtype must be 'float64' or"),
    ("dtype object", {"dtype": lambda f: np.str_("object")}, "dtype must be"),
    ("optimizer sgd", {"optimizer": lambda f: np.str_("sgd")}, "optimizer must be one of"),
    ("seed negative", {"seed": lambda f: np.int64(-1)}, "seed must be >= 0"),
    ("seed 2**31", {"seed": lambda f: np.int64(2**31)}, "seed must be"),
    ("t negative", {"t": lambda f: np.int64(-1)}, "t must be >= 0"),
    ("step negative", {"step": lambda f: np.int64(-3)}, "step must be >= 0"),
    ("epochs negative", {"epochs": lambda f: np.int64(-1)}, "epochs must be >= 0"),
    ("step 2**64-1", {"step": lambda f: np.uint64(2**64 - 1)}, r"step must be < 2\*\*63"),
    ("t > step", {"t": lambda f: f["step"] + 1}, "inconsistent counts"),
    ("epochs != costs", {"epochs": lambda f: f["epochs"] + 1}, r"costs must have shape \(7,\)"),
    ("costs float32", {"costs": lambda f: f["costs"].astype(np.float32)}, "costs must have"),
    ("costs 2-D", {"costs": lambda f: f["costs"].reshape(1, -1)}, "costs must have shape"),
    ("no optimizer but trained", {"optimizer": lambda f: np.str_("")}, "inconsistent counts"),
    ("seed + epochs >= 2**32", {"seed": lambda f: np.int64(2**31 - 1),
                                "epochs": lambda f: np.int64(2**31 + 5)}, "seed \\+ epochs"),
    ("softmax with one unit", {"output": lambda f: np.str_("softmax")}, "at least 2 output"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "change", "match"), BAD_FIELDS, ids=[c[0] for c in BAD_FIELDS])
def test_bad_fields_are_refused(tmp_path, case, change, match):
    fields = _fields(_network(optimizer="adam")[0], tmp_path)
    fields.update({k: fn(fields) for k, fn in change.items()})
    np.savez(tmp_path / "bad.npz", **fields)
    _refused(tmp_path / "bad.npz", match)


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"t": np.int64(3)}, "inconsistent counts"),  # only Adam counts t
        ({"s": lambda f: f["v"]}, r"s must have shape \(0,\)"),  # momentum has no s
    ],
)
def test_bad_momentum_state_is_refused(tmp_path, change, match):
    fields = _momentum_fields(tmp_path)
    fields.update({k: fn(fields) if callable(fn) else fn for k, fn in change.items()})
    np.savez(tmp_path / "bad.npz", **fields)
    _refused(tmp_path / "bad.npz", match)


def test_missing_unknown_and_repeated_members_are_refused(tmp_path):
    fields = _fields(_network()[0], tmp_path)
    np.savez(tmp_path / "missing.npz", **{k: v for k, v in fields.items() if k != "s"})
    _refused(tmp_path / "missing.npz", r"missing \['s'\], unknown \[\]")
    np.savez(tmp_path / "extra.npz", **fields, comment=np.str_("hi"))
    _refused(tmp_path / "extra.npz", r"missing \[\], unknown \['comment'\]")
    members = {f"{k}.npy": _npy(v) for k, v in fields.items()}
    _write_zip(tmp_path / "text.npz", {**members, "README.txt": b"hello"})
    _refused(tmp_path / "text.npz", "unexpected or repeated zip member 'README.txt'")
    _write_zip(tmp_path / "folder.npz", {f"net/{k}": v for k, v in members.items()})
    _refused(tmp_path / "folder.npz", "not an nncore.Network file")
    _write_zip(tmp_path / "twice.npz", members)
    with zipfile.ZipFile(tmp_path / "twice.npz", "a") as zf, pytest.warns(UserWarning, match="Dup"):
        zf.writestr("theta.npy", members["theta.npy"])
    _refused(tmp_path / "twice.npz", "repeated zip member")


def test_members_that_are_not_npy_are_refused(tmp_path):
    fields = _fields(_network()[0], tmp_path)
    members = {f"{k}.npy": _npy(v) for k, v in fields.items()}
    cases = {
        "garbage": b"not an npy file at all",
        "empty": b"",
        "header only": members["theta.npy"][:128],
        "data cut": members["theta.npy"][:-8],
        "data extra": members["theta.npy"] + b"\0" * 8,
        "version 3": b"\x93NUMPY\x03\x00" + members["theta.npy"][8:],
        "version 9": b"\x93NUMPY\x09\x00" + members["theta.npy"][8:],
    }
    for case, data in cases.items():
        _write_zip(tmp_path / "m.npz", {**members, "theta.npy": data})
        message = _refused(tmp_path / "m.npz")
        assert "theta" in message, case


class _Marker:
    """Unpickling this makes a directory: proof that code from the file ran."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.mark.parametrize("member", ["theta", "format", "layers_dims", "costs"])
def test_pickled_objects_are_never_unpickled(tmp_path, member):
    marker = tmp_path / "marker"
    payload = np.array([_Marker(marker)], dtype=object)
    # The payload works: unpickling it does run code.
    pickle.loads(pickle.dumps(_Marker(tmp_path / "probe")))
    assert (tmp_path / "probe").is_dir()
    fields = _fields(_network()[0], tmp_path)
    members = {f"{k}.npy": _npy(v) for k, v in fields.items()}
    _write_zip(tmp_path / "evil.npz", {**members, f"{member}.npy": _npy(payload)})
    _refused(tmp_path / "evil.npz", f"{member} must have dtype")
    np.save(tmp_path / "evil.npy", payload, allow_pickle=True)
    _refused(tmp_path / "evil.npy", "not a readable")
    (tmp_path / "evil.pkl").write_bytes(pickle.dumps(_Marker(marker)))
    _refused(tmp_path / "evil.pkl", "not a readable")
    assert not marker.exists()


def _huge_npy(shape, data=b"\0" * 64):
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        buffer, {"descr": "<f8", "fortran_order": False, "shape": shape}
    )
    return buffer.getvalue() + data


@pytest.mark.parametrize(
    ("dims", "theta_shape", "match"),
    [
        ([3, 5, 4, 1], (10**12,), r"theta must have shape \(49,\), got \(1000000000000,\)"),
        # dims consistent with the declared size: refused because the data are not there
        ([10**6, 10**6, 1], (10**12 + 2 * 10**6 + 1,), "header declares 8000016000008 bytes"),
        ([10**9, 10**9, 10**9, 1], (2 * 10**18 + 3 * 10**9 + 1,), "header declares"),
    ],
)
def test_huge_declared_sizes_fail_fast_without_allocating(tmp_path, dims, theta_shape, match):
    fields = _fields(_network(optimizer=None)[0], tmp_path)
    fields["layers_dims"] = np.array(dims)
    members = {f"{k}.npy": _npy(v) for k, v in fields.items()}
    members["theta.npy"] = _huge_npy(theta_shape)
    _write_zip(tmp_path / "huge.npz", members)
    tracemalloc.start()
    start = time.perf_counter()
    try:
        _refused(tmp_path / "huge.npz", match)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    assert time.perf_counter() - start < 1.0
    assert peak < 10 * 2**20


def test_compressed_member_declaring_more_than_it_can_hold(tmp_path):
    """A deflated member whose zip entry claims a size no deflate stream of its length can
    produce is refused before decompressing."""
    fields = _fields(_network(optimizer=None)[0], tmp_path)
    np.savez_compressed(tmp_path / "c.npz", **fields)
    data = bytearray((tmp_path / "c.npz").read_bytes())
    # Patch the uncompressed size of theta.npy in the central directory to 4 GiB - 1.
    with zipfile.ZipFile(tmp_path / "c.npz") as zf:
        info = zf.getinfo("theta.npy")
    central = data.rfind(b"PK\x01\x02", 0, data.find(b"theta.npy", data.find(b"PK\x01\x02")))
    assert data[central + 46 : central + 46 + 9] == b"theta.npy"
    assert int.from_bytes(data[central + 24 : central + 28], "little") == info.file_size
    data[central + 24 : central + 28] = (2**32 - 1).to_bytes(4, "little")
    (tmp_path / "c.npz").write_bytes(bytes(data))
    _refused(tmp_path / "c.npz", "theta: zip member declares 4294967295 bytes")


def test_other_compression_methods_are_refused(tmp_path):
    """bzip2 and lzma can expand far beyond any bound on the declared size: refused."""
    fields = _fields(_network()[0], tmp_path)
    members = {f"{k}.npy": _npy(v) for k, v in fields.items()}
    _write_zip(tmp_path / "bz2.npz", members, zipfile.ZIP_BZIP2)
    _refused(tmp_path / "bz2.npz", "format: zip compression method 12 not accepted")


def test_fit_stopped_by_a_callback_exception_saves_a_consistent_network(tmp_path):
    net, X, Y = _network(optimizer=None)
    reference = _network(optimizer="adam", epochs=4)[0]

    def callback(epoch, cost):
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError, match="stop"):
        net.fit(X, Y, optimizer="adam", num_epochs=9, callback=callback, callback_every=4,
                **TRAIN)  # fmt: skip
    net.save(tmp_path / "n.npz")
    assert _state(nncore.Network.load(tmp_path / "n.npz")) == _state(reference)
