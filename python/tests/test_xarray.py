"""The xarray backend (engine "tensogram", tensogram.xarray / tensogram_xarray):
lazy loading measured by counting the library calls and the bytes they
decode, partial reads, naming, merging, dask and dask.distributed."""

from __future__ import annotations

import http.server
import pickle
import threading

import numpy as np
import pytest

import tensogram

xr = pytest.importorskip("xarray")
import tensogram_xarray  # noqa: E402
from tensogram.xarray import array as xarray_array  # noqa: E402

SZIP = {
    "encoding": "simple_packing",
    "sp_bits_per_value": 16,
    "compression": "szip",
    "szip_rsi": 32,
    "szip_block_size": 16,
    "szip_flags": 8,
}


def desc(shape, dtype="float64", **kw):
    return {"type": "ntensor", "shape": list(shape), "dtype": dtype, **kw}


class DecodeLog:
    """Counts the decoding calls the backend makes and the bytes they return."""

    def __init__(self, monkeypatch):
        self.calls = []
        cls = tensogram.TensogramFile
        orig_range, orig_object = cls.file_decode_range, cls.file_decode_object
        orig_message = cls.decode_message

        def file_decode_range(f, msg, obj_index=0, ranges=(), **kw):
            out = orig_range(f, msg, obj_index=obj_index, ranges=ranges, **kw)
            self.calls.append(("range", msg, obj_index, list(ranges), np.asarray(out).nbytes))
            return out

        def file_decode_object(f, msg, obj, **kw):
            out = orig_object(f, msg, obj, **kw)
            self.calls.append(("object", msg, obj, None, out["data"].nbytes))
            return out

        def decode_message(f, *a, **kw):
            out = orig_message(f, *a, **kw)
            self.calls.append(("message", a, None, None, sum(x.nbytes for _, x in out.objects)))
            return out

        monkeypatch.setattr(cls, "file_decode_range", file_decode_range)
        monkeypatch.setattr(cls, "file_decode_object", file_decode_object)
        monkeypatch.setattr(cls, "decode_message", decode_message)
        for name in ("decode", "decode_object", "decode_range"):
            orig = getattr(tensogram, name)

            def wrapped(*a, __orig=orig, __name=name, **kw):
                self.calls.append((__name, None, None, None, 0))
                return __orig(*a, **kw)

            monkeypatch.setattr(tensogram, name, wrapped)

    @property
    def bytes(self):
        return sum(c[4] for c in self.calls)

    def kinds(self):
        return sorted({c[0] for c in self.calls})


@pytest.fixture
def log(monkeypatch):
    return DecodeLog(monkeypatch)


@pytest.fixture
def steps_file(tmp_path):
    """100 messages of a (90, 180) float64 field, simple_packing + szip,
    mars.step 0..99; returns (path, fields as decoded by tensogram.decode)."""
    path = str(tmp_path / "steps.tgm")
    rng = np.random.default_rng(7)
    with tensogram.TensogramFile.create(path) as f:
        for step in range(100):
            data = rng.random((90, 180)) * 40 + 250
            f.append(
                {"base": [{"mars": {"param": "2t", "date": "20260401", "step": step}}]},
                [(desc((90, 180), **SZIP), data)],
            )
    with tensogram.TensogramFile.open(path) as f:
        fields = np.stack([f.decode_message(i).objects[0][1] for i in range(100)])
    return path, fields


@pytest.fixture
def grid_file(tmp_path):
    """One message: latitude (19), longitude (36), 2t and 10u (19, 36)."""
    path = str(tmp_path / "grid.tgm")
    lat = np.linspace(90, -90, 19)
    lon = np.arange(0, 360, 10.0)
    t2 = np.arange(19 * 36, dtype=np.float32).reshape(19, 36)
    u10 = -t2
    meta = {
        "base": [
            {"name": "latitude", "units": "degrees_north"},
            {"name": "longitude", "units": "degrees_east"},
            {"mars": {"param": "2t"}, "units": "K"},
            {"mars": {"param": "10u"}, "units": "m s-1"},
        ],
        "centre": "ecmf",
    }
    with tensogram.TensogramFile.create(path) as f:
        f.append(
            meta,
            [
                (desc((19,)), lat),
                (desc((36,)), lon),
                (desc((19, 36), "float32"), t2),
                (desc((19, 36), "float32", compression="zstd"), u10),
            ],
        )
    return path, lat, lon, t2, u10


def test_engine_registered_and_alias_modules():
    assert "tensogram" in xr.backends.list_engines()
    import tensogram_xarray.array
    import tensogram_xarray.store

    assert tensogram_xarray.array is xarray_array
    assert tensogram_xarray.store is tensogram.xarray.store
    assert tensogram_xarray.open_datasets is tensogram.xarray.open_datasets


def test_open_reads_metadata_only(grid_file, log):
    path, lat, lon, t2, u10 = grid_file
    ds = xr.open_dataset(path, engine="tensogram", variable_key="mars.param")
    # xarray builds its indexes from the (small) 1-D coordinates at once;
    # no data variable is decoded
    assert sorted(c[2] for c in log.calls) == [0, 1]
    log.calls.clear()
    assert list(ds.data_vars) == ["2t", "10u"]
    assert ds["2t"].dims == ("latitude", "longitude")
    assert ds["2t"].attrs["units"] == "K"
    assert ds.attrs["centre"] == "ecmf"
    assert ds.attrs["tensogram_wire_version"] == 3
    np.testing.assert_array_equal(ds["latitude"].values, lat)
    np.testing.assert_array_equal(ds["2t"].values, t2)
    np.testing.assert_array_equal(ds["10u"].values, u10)


def test_engine_guessed_from_extension(grid_file):
    ds = xr.open_dataset(grid_file[0])
    assert "2t" in ds.data_vars


def test_selection_decodes_only_its_object(grid_file, log):
    path, *_ = grid_file
    ds = xr.open_dataset(path, engine="tensogram", variable_key="mars.param")
    log.calls.clear()
    ds["10u"].values  # zstd: no partial decoding, one whole object
    assert [(c[0], c[2]) for c in log.calls] == [("object", 3)]
    assert log.bytes == 19 * 36 * 4


def test_point_across_100_messages_decodes_100_elements(steps_file, log):
    path, fields = steps_file
    (ds,) = tensogram_xarray.open_datasets(path, variable_key="mars.param")
    assert log.calls == []
    var = ds["2t"]
    assert var.dims == ("mars.step", "dim_0", "dim_1")
    np.testing.assert_array_equal(ds["mars.step"].values, np.arange(100))
    assert var.attrs["mars"] == {"date": "20260401", "param": "2t"}
    got = var[:, 45, 100].values
    np.testing.assert_array_equal(got, fields[:, 45, 100])
    assert log.kinds() == ["range"]
    assert sorted(c[1] for c in log.calls) == list(range(100))
    assert all(c[3] == [(45 * 180 + 100, 1)] for c in log.calls)
    assert log.bytes == 100 * 8


@pytest.mark.parametrize(
    "key",
    [
        (slice(10, 12), slice(None)),
        (slice(10, 20), slice(30, 40)),
        (5, slice(None, None, 7)),
        (-1, -1),
        (slice(10, 80, 3), slice(170, None)),
        (slice(None, None, 30), 3),
    ],
)
def test_partial_reads_match_numpy(steps_file, log, key):
    path, fields = steps_file
    ds = xr.open_dataset(path, engine="tensogram", message_index=3)
    got = ds["2t"][key].values
    np.testing.assert_array_equal(got, fields[3][key])
    assert log.kinds() == ["range"], log.calls
    # never more than the threshold allows (half the object) plus one szip interval
    assert log.bytes <= 0.5 * fields[3].nbytes + 32 * 16 * 8


def test_large_selection_and_threshold_zero_decode_whole(steps_file, log):
    path, fields = steps_file
    ds = xr.open_dataset(path, engine="tensogram", message_index=1)
    np.testing.assert_array_equal(ds["2t"][:80].values, fields[1][:80])
    assert log.kinds() == ["object"]
    log.calls.clear()
    ds = xr.open_dataset(path, engine="tensogram", message_index=1, range_threshold=0.0)
    np.testing.assert_array_equal(ds["2t"][0, 0].values, fields[1][0, 0])
    assert log.kinds() == ["object"]


def test_close_rows_coalesce_into_one_szip_read(steps_file, log):
    path, fields = steps_file
    ds = xr.open_dataset(path, engine="tensogram", message_index=0)
    np.testing.assert_array_equal(ds["2t"][10:14, 5].values, fields[0][10:14, 5])
    # 4 elements 180 apart: closer than one szip interval (512 values) -> one range
    assert [c[3] for c in log.calls] == [[(10 * 180 + 5, 3 * 180 + 1)]]


def test_verify_hash_catches_corruption(tmp_path):
    path = str(tmp_path / "bad.tgm")
    data = np.arange(1000, dtype=np.float64)
    msg = bytearray(tensogram.encode({}, [(desc((1000,)), data)]))
    i = bytes(msg).find(data[500:502].tobytes())
    msg[i] ^= 0xFF
    with open(path, "wb") as fh:
        fh.write(msg)
    ds = xr.open_dataset(path, engine="tensogram", verify_hash=True, range_threshold=0.0)
    with pytest.raises(RuntimeError):
        ds["object_0"].values
    ds = xr.open_dataset(path, engine="tensogram")
    assert ds["object_0"].values[500] != 500.0  # without verification the bad byte shows


def test_errors_at_open(grid_file, tmp_path):
    path = grid_file[0]
    with pytest.raises(ValueError, match="message_index must be >= 0"):
        xr.open_dataset(path, engine="tensogram", message_index=-1)
    with pytest.raises(ValueError, match="out of range"):
        xr.open_dataset(path, engine="tensogram", message_index=5)
    with pytest.raises(ValueError, match="dim_names has 1 entries"):
        xr.open_dataset(path, engine="tensogram", dim_names=["x"])
    with pytest.raises(OSError):
        xr.open_dataset(str(tmp_path / "missing.tgm"), engine="tensogram")


def test_dim_names_hints(tmp_path):
    path = str(tmp_path / "hints.tgm")
    meta = {
        "base": [
            {"name": "reflectance", "dim_names": ["time", "y", "x"]},
            {"name": "count", "dim_names": ["time"]},
        ]
    }
    with tensogram.TensogramFile.create(path) as f:
        f.append(meta, [(desc((2, 3, 4)), np.zeros((2, 3, 4))), (desc((2,)), np.ones(2))])
    ds = xr.open_dataset(path, engine="tensogram")
    assert ds["reflectance"].dims == ("time", "y", "x")
    assert ds["count"].dims == ("time",)
    assert "dim_names" not in ds["count"].attrs


def test_pipeline_parameters_are_not_attributes(steps_file):
    ds = xr.open_dataset(steps_file[0], engine="tensogram")
    assert not any(k.startswith(("sp_", "szip_")) for k in ds["2t"].attrs)


def test_objects_with_one_name_are_all_kept(tmp_path):
    path = str(tmp_path / "same.tgm")
    with tensogram.TensogramFile.create(path) as f:
        f.append(
            {"base": [{"name": "t"}, {"name": "t"}]},
            [(desc((2,)), np.zeros(2)), (desc((2,)), np.ones(2))],
        )
    ds = xr.open_dataset(path, engine="tensogram")
    assert sorted(ds.data_vars) == ["t", "t_1"]
    np.testing.assert_array_equal(ds["t_1"].values, [1, 1])


def test_batch_scan_matches_the_per_message_calls(tmp_path):
    """scan_file reads every message in one call (scan_descriptors); what
    it indexes equals what the per-message calls give."""
    from tensogram.xarray import scanner

    path = str(tmp_path / "scan.tgm")
    with tensogram.TensogramFile.create(path) as f, pytest.warns(UserWarning):
        f.append(
            {"base": [{"name": "t", "levels": [1, 2], "mars": {"step": 0}}, {"name": "u"}],
             "_extra_": {"centre": "ecmf", "n": 3}},
            [(desc((2, 32), param="t2", **SZIP), np.ones((2, 32))),
             (desc((4,), compression="zstd", zstd_level=5, name="ignored"), np.arange(4.0))],
        )
        f.append({"base": [{"mars": {"step": 6}}]},
                 [(desc((2, 3), "int16"), np.zeros((2, 3), np.int16))])
        f.append({}, [(desc((5,), units="K"), np.zeros(5)), (desc((1,)), np.zeros(1))])
    index = scanner.scan_file(path)
    expected = []
    with tensogram.TensogramFile.open(path) as f:
        for m in range(len(f)):
            found = f.file_decode_descriptors(m)
            expected.extend(scanner._infos(m, found["metadata"], found["descriptors"]))
            (base, extra, reserved), descs = f._handle().scan_descriptors(True)[m]
            assert base == found["metadata"].base and extra == found["metadata"].extra
            assert reserved == found["metadata"].reserved
            assert descs == [d.to_dict() for d in found["descriptors"]]
    assert len(index.objects) == len(expected) == 5
    for got, want in zip(index.objects, expected):
        assert (got.msg_index, got.obj_index, got.ndim, got.shape, got.dtype) == (
            want.msg_index, want.obj_index, want.ndim, want.shape, want.dtype)
        assert got.descriptor == want.descriptor
        assert got.per_object_meta == want.per_object_meta
        assert got.common_meta == want.common_meta
        assert got.merged_meta == want.merged_meta
    assert index.objects[0].per_object_meta["param"] == "t2"
    assert index.objects[1].per_object_meta["name"] == "u"  # the base entry wins
    assert "_reserved_" not in index.objects[0].per_object_meta
    assert index.objects[3].per_object_meta == {"units": "K"}


def test_batch_scan_reports_a_damaged_message(tmp_path):
    """A message whose metadata CBOR is damaged: scan_file raises what the
    per-message call raises for it."""
    from tensogram.xarray import scanner

    path = str(tmp_path / "bad.tgm")
    with tensogram.TensogramFile.create(path) as f:
        for i in range(3):
            f.append({"base": [{"i": i}]}, [(desc((4,)), np.full(4, float(i)))])
        last = len(f.read_message(2))
    data = bytearray(open(path, "rb").read())
    # The last message's first frame (its metadata) starts after the 24-byte
    # preamble; its CBOR after the 16-byte frame header.
    start = len(data) - last + 24 + 16
    data[start : start + 8] = b"\xff" * 8
    open(path, "wb").write(bytes(data))
    with tensogram.TensogramFile.open(path) as f:
        assert len(f) == 3
        f.file_decode_descriptors(1)
        with pytest.raises(Exception) as per_message:
            f.file_decode_descriptors(2)
    with pytest.raises(per_message.type, match="metadata|CBOR|cbor"):
        scanner.scan_file(path)


def test_backend_array_pickles_without_handle(steps_file):
    ds = xr.open_dataset(steps_file[0], engine="tensogram", message_index=2)
    arr = ds["2t"].variable._data
    while not isinstance(arr, xarray_array.TensogramBackendArray):
        arr = arr.array
    arr._shared_file = object()
    back = pickle.loads(pickle.dumps(arr))
    assert back._shared_file is None and back.file_path == arr.file_path
    got = back._raw_indexing_method((slice(0, 2), slice(0, 3)))
    np.testing.assert_array_equal(got, steps_file[1][2][:2, :3])


def test_handle_cache_sees_a_rewritten_file(tmp_path):
    path = str(tmp_path / "rewrite.tgm")
    for value in (1.0, 2.0):
        with tensogram.TensogramFile.create(path) as f:
            f.append({}, [(desc((4,)), np.full(4, value))])
        ds = xr.open_dataset(path, engine="tensogram")
        assert ds["object_0"].values[0] == value


dask = pytest.importorskip("dask")


def test_dask_chunks_one_task_per_object(steps_file, log):
    import dask.array as da

    path, fields = steps_file
    ds = xr.open_dataset(
        path, engine="tensogram", merge_objects=True, variable_key="mars.param", chunks={}
    )
    data = ds["2t"].data
    assert isinstance(data, da.Array)
    assert data.chunks[0] == (1,) * 100
    assert log.calls == []
    got = data[10:20].mean(axis=0).compute(scheduler="threads")
    np.testing.assert_allclose(got, fields[10:20].mean(axis=0))
    assert sorted(c[1] for c in log.calls) == list(range(10, 20))  # only those objects
    graph = dict(data[10:12].__dask_graph__())
    pickle.loads(pickle.dumps(graph))


def test_dask_user_chunks(steps_file):
    ds = xr.open_dataset(
        steps_file[0], engine="tensogram", message_index=4, chunks={"dim_0": 30, "dim_1": 60}
    )
    assert ds["2t"].data.chunks == ((30,) * 3, (60,) * 3)
    np.testing.assert_array_equal(ds["2t"].values, steps_file[1][4])
    np.testing.assert_array_equal(
        ds["2t"].compute(scheduler="processes").values, steps_file[1][4]
    )


def test_dask_distributed_two_workers(steps_file):
    distributed = pytest.importorskip("distributed")
    path, fields = steps_file
    ds = xr.open_dataset(
        path, engine="tensogram", merge_objects=True, variable_key="mars.param", chunks={}
    )
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
        host="127.0.0.1",
    ) as cluster, distributed.Client(cluster) as client:
        assert len(client.scheduler_info()["workers"]) == 2
        mean = ds["2t"].mean(dim="mars.step").compute()
        np.testing.assert_allclose(mean.values, fields.mean(axis=0))
        point = ds["2t"][:, 3, 4].compute()
        np.testing.assert_array_equal(point.values, fields[:, 3, 4])


# ---- remote -------------------------------------------------------------------------


def _serve(data: bytes):
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_HEAD(self):
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()

        def do_GET(self):
            rng = self.headers.get("Range")
            body, status = data, 200
            if rng and rng.startswith("bytes="):
                a, b = rng[6:].split("-")
                s = len(data) - int(b) if a == "" else int(a)
                e = len(data) if a == "" or b == "" else min(len(data), int(b) + 1)
                body, status = data[s:e], 206
                self.send_response(status)
                self.send_header("Content-Range", "bytes %d-%d/%d" % (s, e - 1, len(data)))
            else:
                self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_remote_url(grid_file):
    path, lat, lon, t2, u10 = grid_file
    with open(path, "rb") as fh:
        server = _serve(fh.read())
    try:
        url = "http://127.0.0.1:%d/grid.tgm" % server.server_address[1]
        ds = xr.open_dataset(
            url, engine="tensogram", variable_key="mars.param", storage_options={}
        )
        np.testing.assert_array_equal(ds["2t"].values, t2)
        np.testing.assert_array_equal(ds["2t"][3, 4:8].values, t2[3, 4:8])
        np.testing.assert_array_equal(ds["10u"].values, u10)
        ds.close()
    finally:
        server.shutdown()


# ---- what a point read touches ------------------------------------------------------


def ntensor_payloads(msg: bytes):
    """(start, end) of each data object's payload in a message (WIRE_FORMAT:
    24-byte preamble, frames "FR" + type + version + flags + length, 8-byte
    aligned; an NTensorFrame's payload runs from byte 16 to its cbor_offset)."""
    import struct

    spans, pos = [], 24
    while pos + 16 <= len(msg) - 24 and msg[pos : pos + 2] == b"FR":
        ftype, _, flags = struct.unpack(">HHH", msg[pos + 2 : pos + 8])
        (length,) = struct.unpack(">Q", msg[pos + 8 : pos + 16])
        if ftype == 9:
            (cbor_offset,) = struct.unpack(">Q", msg[pos + length - 20 : pos + length - 12])
            assert flags & 1  # CBOR after the payload
            spans.append((pos + 16, pos + cbor_offset))
        pos += (length + 7) & ~7
    return spans


def test_point_read_touches_only_its_szip_block(steps_file):
    """Every payload byte outside the szip block (reference sample interval)
    that holds the point is overwritten: the point still reads right through
    xarray, so nothing else was decoded (1.0x the selection's compressed
    block), while a whole decode sees the damage."""
    path, fields = steps_file
    row, col = 45, 100
    element = row * 180 + col
    rsi_values = SZIP["szip_rsi"] * SZIP["szip_block_size"]
    k = element // rsi_values
    data = bytearray(open(path, "rb").read())
    kept = 0
    with tensogram.TensogramFile.open(path) as f:
        layout = []
        for m in range(len(f)):
            raw = f.read_message(m)
            start = bytes(data).find(raw)
            offs = f.file_decode_descriptors(m)["descriptors"][0].params["szip_block_offsets"]
            layout.append((start, raw, offs))
    for start, raw, offs in layout:
        ((p0, p1),) = ntensor_payloads(raw)
        keep0, keep1 = p0 + offs[k] // 8, p0 + (offs[k + 1] + 7) // 8
        kept += keep1 - keep0
        for i in range(start + p0, start + p1):
            if not start + keep0 <= i < start + keep1:
                data[i] ^= 0x5A
    damaged = path + ".damaged.tgm"
    with open(damaged, "wb") as fh:
        fh.write(data)
    assert kept < 100 * 4096  # a few KiB per message out of ~32 KiB
    (ds,) = tensogram_xarray.open_datasets(damaged, variable_key="mars.param")
    np.testing.assert_array_equal(ds["2t"][:, row, col].values, fields[:, row, col])
    try:
        whole = ds["2t"][0].values
    except (ValueError, RuntimeError):
        pass  # the damage is detected
    else:
        assert not np.array_equal(whole, fields[0])  # or decodes to something else


def test_partition_keys_unhashable_values_are_constant():
    # Values that stay unhashable even as tuples (a list of sets) cannot be
    # told apart: kept as one attribute, never an error.
    from tensogram.xarray.merge import _partition_keys

    const, vary = _partition_keys({"flags": [{1, 2}, {3, 4}], "step": [1, 2]})
    assert const == {"flags": {1, 2}}
    assert vary == {"step": [1, 2]}
