"""GRIB and NetCDF conversions against the reference's outputs and against
independent readers.

For every case the reference ran (shared/reference/grib-out, netcdf-out:
its CLI under a matrix of options) the same conversion here must give the
same messages, the same metadata structure and the same decoded values,
except where docs/convert.md lists a deliberate difference (checked here as
such).  Decoded values are also compared with what python3-eccodes and
python3-netcdf4 read from the inputs, and the round trips GRIB -> tgm ->
GRIB and NetCDF -> tgm -> NetCDF are checked with grib_compare, ncdump and
those readers.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess

import numpy as np
import pytest
from conftest import shared_dir

import tensogram

# Skipped char / string / enum variables are announced as warnings.
pytestmark = pytest.mark.filterwarnings("ignore:skipping variable:UserWarning")

SHARED = shared_dir()
needs_shared = pytest.mark.skipif(SHARED is None, reason="no shared reference files")

eccodes = pytest.importorskip("eccodes") if tensogram.__has_grib__ else None
netCDF4 = pytest.importorskip("netCDF4") if tensogram.__has_netcdf__ else None


def manifest(family):
    if SHARED is None:
        return []
    path = SHARED / ("%s-out" % family) / "MANIFEST.json"
    return json.loads(path.read_text())["cases"] if path.exists() else []


# Keys only this implementation writes (docs/convert.md, "Metadata").
OURS_ONLY = {"_template", "_restore", "_packing", "_group", "_record_dim", "_record_axis"}


def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in OURS_ONLY}
    if isinstance(v, list):
        return [strip(x) for x in v]
    return v


def diff(a, b, path=""):
    out = []
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a:
                out.append("%s.%s: missing here" % (path, k))
            elif k not in b:
                out.append("%s.%s: only here" % (path, k))
            else:
                out += diff(a[k], b[k], "%s.%s" % (path, k))
    elif isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            out.append("%s: %d items here, %d in the reference" % (path, len(a), len(b)))
        else:
            for i, (x, y) in enumerate(zip(a, b)):
                out += diff(x, y, "%s[%d]" % (path, i))
    elif not (a == b or (isinstance(a, float) and isinstance(b, float) and a != a and b != b)):
        out.append("%s: %r here, %r in the reference" % (path, a, b))
    return out


def messages_of(blobs):
    return [tensogram.decode(m) for m in blobs]


def descriptor(d):
    out = dict(d._d)
    for k in ("type", "masks", "szip_block_offsets"):
        out.pop(k, None)
    return out


# ---- GRIB ------------------------------------------------------------------------------


def grib_kwargs(argv):
    kw = {}
    it = iter(argv)
    for a in it:
        if a == "--split":
            kw["grouping"] = "one_to_one"
        elif a == "--all-keys":
            kw["preserve_all_keys"] = True
        elif a in ("--encoding", "--compression", "--filter"):
            kw[a[2:]] = next(it)
        elif a == "--bits":
            kw["bits"] = int(next(it))
    return kw


def grib_inputs(case):
    return [SHARED / p for p in case["input"]]


def eccodes_values(path):
    """Every message's values as python3-eccodes reads them, bitmap points NaN."""
    out = []
    with open(path, "rb") as f:
        while True:
            h = eccodes.codes_grib_new_from_file(f)
            if h is None:
                return out
            v = eccodes.codes_get_double_array(h, "values")
            if eccodes.codes_get(h, "bitmapPresent"):
                bitmap = eccodes.codes_get_long_array(h, "bitmap")
                v = np.where(bitmap == 0, np.nan, v)
            out.append(v)
            eccodes.codes_release(h)


GRIB_CASES = [c for c in manifest("grib") if c["kind"] == "convert"]


@needs_shared
@pytest.mark.skipif(not tensogram.__has_grib__, reason="built without GRIB")
@pytest.mark.parametrize("case", GRIB_CASES, ids=[c["case"] for c in GRIB_CASES])
def test_grib_matches_reference(case):
    kw = grib_kwargs(case["argv"])
    inputs = grib_inputs(case)
    if "2t_ieee" in case["case"]:
        # Deliberate difference: 2t_ieee.grib2 declares IEEE 32-bit values but
        # its data section holds 165,099 of them for 1,038,240 points; ecCodes
        # fills the rest with zeros and the reference converts that.  Refused.
        with pytest.raises(RuntimeError, match="decoded 165099 of the 1038240 values"):
            tensogram.convert_grib(str(inputs[0]), **kw)
        return
    blobs = []
    for p in inputs:
        blobs += tensogram.convert_grib(str(p), **kw)
    outdir = SHARED / "grib-out" / case["case"]
    ref = json.loads((outdir / "describe.json").read_text())
    decoded = json.loads((outdir / "decoded.json").read_text())
    assert len(blobs) == len(ref) == case["messages"]
    ecc = [v for p in inputs for v in eccodes_values(p)]
    bitmap = "lsm_bitmap" in case["case"]
    k = 0
    for mi, ((meta, objects), r) in enumerate(zip(messages_of(blobs), ref)):
        base = strip(list(tensogram.decode_metadata(blobs[mi]).base))
        rbase = r["metadata"]["base"]
        if bitmap:
            # The reference stores ecCodes' `bitmap` bytes (zeros, not the
            # bitmap); here the bitmap is the NaN mask.
            for e in rbase:
                e["grib_repro"].pop("bitmap", None)
                e.get("grib", {}).get("geography", {}).pop("bitmap", None)
        assert diff(base, rbase) == []
        for oi, ((d, arr), rd) in enumerate(zip(objects, r["descriptors"])):
            rdesc = {x: y for x, y in rd.items() if x not in ("szip_block_offsets", "masks", "type")}
            ours = descriptor(d)
            if bitmap and ours.get("encoding") == "simple_packing":
                # Missing points (NaN, masked) are outside the packing range
                # here; the reference packs 9999.0 with them.
                for x in ("sp_binary_scale_factor", "sp_reference_value"):
                    ours.pop(x)
                    rdesc.pop(x)
            assert diff(ours, rdesc) == []
            # Values: exactly ecCodes' (NaN at missing points), and the
            # reference's decoded bytes where it has no missing points.
            lossless = d.encoding == "none"
            want = ecc[k]
            k += 1
            got = np.asarray(arr, dtype=np.float64).ravel()
            assert np.array_equal(np.isnan(got), np.isnan(want))
            if lossless or not bitmap:
                assert np.array_equal(got, want, equal_nan=True)
            else:
                span = np.nanmax(want) - np.nanmin(want)
                assert np.nanmax(np.abs(got - want)) <= span / 65535
            if not bitmap:
                sha = hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
                assert sha == decoded["obj_%d_%d.bin" % (mi, oi)]["sha256"]


def test_reference_szip_offsets_are_wrong_ours_right():
    """Deliberate difference: the reference records wrong szip_block_offsets
    for some RSIs (2t sp16_szip: RSI 5), so ranges decoded through them are
    wrong; every RSI of ours decodes by range to the full decode."""
    if SHARED is None or not tensogram.__has_grib__:
        pytest.skip("needs the shared files and GRIB")
    ref = (SHARED / "grib-out" / "2t__sp16_szip" / "out.tgm").read_bytes()
    ours = tensogram.convert_grib(str(SHARED / "grib" / "2t.grib2"), encoding="simple_packing",
                                  bits=16, compression="szip")[0]
    for buf, expect_bad in ((ours, set()), (ref, {5})):
        _, objs = tensogram.decode(buf)
        full = objs[0][1].ravel()
        bad = set()
        for rsi in range(0, (full.size + 2047) // 2048):
            s = rsi * 2048
            n = min(2048, full.size - s)
            got = np.asarray(tensogram.decode_range(buf, 0, [(s, n)])[0]).ravel()
            if not np.array_equal(got, full[s:s + n]):
                bad.add(rsi)
        assert bad == expect_bad


GRIB_INPUTS = ["2t", "2t_simple", "lsm", "lsm_bitmap", "q_150", "t_600", "sanity"]


@needs_shared
@pytest.mark.skipif(not tensogram.__has_grib__, reason="built without GRIB")
@pytest.mark.parametrize("name", GRIB_INPUTS)
def test_grib_round_trip(name, tmp_path):
    """GRIB -> tgm -> GRIB: the same values, and grib_compare finds no
    difference (the same bytes, but for lsm_bitmap, whose input codes all
    1,038,240 points despite its bitmap: the rebuilt message codes the
    358,918 present ones, decoding to the same values)."""
    src = SHARED / "grib" / ("%s.grib2" % name)
    for kw in ({}, {"grouping": "one_to_one", "preserve_all_keys": True}):
        back = tensogram.to_grib(tensogram.convert_grib(str(src), **kw))
        out = tmp_path / "back.grib2"
        out.write_bytes(back)
        for a, b in zip(eccodes_values(src), eccodes_values(out)):
            assert np.array_equal(a, b, equal_nan=True)
        if name == "lsm_bitmap":
            continue
        assert back == src.read_bytes()
        if shutil.which("grib_compare"):
            r = subprocess.run(["grib_compare", str(src), str(out)], capture_output=True,
                               text=True)
            assert r.returncode == 0, r.stdout + r.stderr


@needs_shared
@pytest.mark.skipif(not tensogram.__has_grib__, reason="built without GRIB")
def test_to_grib_of_reference_files(tmp_path):
    """Messages the reference made (no template) come back through an
    ecCodes sample: values and the main keys as in the input."""
    for case in ("sanity__default", "t_600__sp16_szip", "lsm__none_zstd"):
        tgm = SHARED / "grib-out" / case / "out.tgm"
        if not tgm.exists():
            continue
        name = case.split("__")[0]
        out = tmp_path / ("%s.grib2" % name)
        out.write_bytes(tensogram.to_grib([tgm.read_bytes()]))
        src = SHARED / "grib" / ("%s.grib2" % name)
        a, b = eccodes_values(src)[0], eccodes_values(out)[0]
        assert np.array_equal(a, b)
        with open(src, "rb") as f1, open(out, "rb") as f2:
            h1, h2 = eccodes.codes_grib_new_from_file(f1), eccodes.codes_grib_new_from_file(f2)
            for key in ("shortName", "typeOfLevel", "level", "dataDate", "dataTime", "stepRange",
                        "gridType", "Ni", "Nj", "packingType", "bitsPerValue", "centre"):
                assert eccodes.codes_get(h1, key) == eccodes.codes_get(h2, key), key


# ---- NetCDF ----------------------------------------------------------------------------


def netcdf_kwargs(argv):
    kw = {}
    it = iter(argv)
    for a in it:
        if a == "--split-by":
            kw["split_by"] = next(it)
        elif a == "--cf":
            kw["cf"] = True
        elif a == "--allow-nan":
            kw["allow_nan"] = True
        elif a in ("--encoding", "--compression", "--filter"):
            kw[a[2:]] = next(it)
    return kw


NETCDF_CASES = [c for c in manifest("netcdf") if c["kind"] == "convert"]


def netcdf4_values(path, name, unpacked):
    with netCDF4.Dataset(path) as ds:
        v = ds[name]
        v.set_auto_maskandscale(unpacked)
        a = v[...]
        if np.ma.isMaskedArray(a):
            a = a.astype(np.float64).filled(np.nan)
        return np.asarray(a)


@needs_shared
@pytest.mark.skipif(not tensogram.__has_netcdf__, reason="built without NetCDF")
@pytest.mark.parametrize("case", NETCDF_CASES, ids=[c["case"] for c in NETCDF_CASES])
def test_netcdf_matches_reference(case):
    kw = netcdf_kwargs(case["argv"])
    inputs = [SHARED / p for p in case["input"]]
    outdir = SHARED / "netcdf-out" / case["case"]
    packing = kw.get("encoding") == "simple_packing"
    if case["exit_code"] != 0:
        stderr = case.get("stderr_tail", "")
        if packing and "simple_packing" in stderr:
            # Deliberate difference: simple_packing packs the float64
            # variables (NaN masked) and stores the others without it,
            # where the reference refuses the whole file; szip then needs
            # samples of at most 32 bits.
            try:
                blobs = [m for p in inputs for m in tensogram.convert_netcdf(str(p), **kw)]
            except ValueError as e:
                assert "szip cannot compress" in str(e)
                return
            for meta, objects in messages_of(blobs):
                for j, (d, arr) in enumerate(objects):
                    name = meta.base[j]["name"]
                    if d.encoding == "simple_packing":
                        want = netcdf4_values(inputs[0], name, True)
                        assert np.array_equal(np.isnan(arr), np.isnan(want))
                        span = np.nanmax(want) - np.nanmin(want) if want.size else 0
                        assert np.nanmax(np.abs(arr - want), initial=0) <= span / 65535 + 1e-12
            return
        with pytest.raises(ValueError):
            for p in inputs:
                tensogram.convert_netcdf(str(p), **kw)
        return
    blobs = [m for p in inputs for m in tensogram.convert_netcdf(str(p), **kw)]
    ref = json.loads((outdir / "describe.json").read_text())
    groups = any("nc4_groups" in str(p) for p in inputs)
    decoded = json.loads((outdir / "decoded.json").read_text())
    assert len(blobs) == len(ref) or (groups and kw.get("split_by") == "variable")
    got = messages_of(blobs)
    if groups:
        # Deliberate difference: sub-group variables are converted too
        # (here /forecast/predicted); the root group's match the reference.
        got = [(m, [(d, a) for j, (d, a) in enumerate(o) if "_group" not in m.base[j].get(
            "netcdf", {})]) for m, o in got]
        bases = [[e for e in tensogram.decode_metadata(b).base
                  if "_group" not in e.get("netcdf", {})] for b in blobs]
        keep = [i for i, b in enumerate(bases) if b]
        got = [got[i] for i in keep]
        bases = [bases[i] for i in keep]
    else:
        bases = [list(tensogram.decode_metadata(b).base) for b in blobs]
    assert len(got) == len(ref)
    for mi, ((meta, objects), base, r) in enumerate(zip(got, bases, ref)):
        b = strip(base)
        for e in b:
            e.get("netcdf", {}).get("_file", {}).pop("groups", None)
        assert diff(b, r["metadata"]["base"]) == []
        for oi, ((d, arr), rd) in enumerate(zip(objects, r["descriptors"])):
            rdesc = {x: y for x, y in rd.items() if x not in ("szip_block_offsets", "masks", "type")}
            assert diff(descriptor(d), rdesc) == []
            sha = hashlib.sha256(np.ascontiguousarray(arr).tobytes()).hexdigest()
            assert sha == decoded["obj_%d_%d.bin" % (mi, oi)]["sha256"]


NETCDF_INPUTS = sorted(p.stem for p in (SHARED / "netcdf").glob("*.nc")) if SHARED else []


def nc_compare(a_path, b_path):
    """Every numeric variable of a (all groups) in b: type, dims, raw
    values and attributes; the global attributes."""
    problems = []

    def walk(g, path="/"):
        yield path, g
        for name, sub in g.groups.items():
            yield from walk(sub, path.rstrip("/") + "/" + name)

    with netCDF4.Dataset(a_path) as A, netCDF4.Dataset(b_path) as B:
        A.set_auto_maskandscale(False)
        B.set_auto_maskandscale(False)
        for k in A.ncattrs():
            if k not in B.ncattrs() or not np.array_equal(
                    np.asarray(A.getncattr(k)), np.asarray(B.getncattr(k))):
                problems.append("global attribute %s" % k)
        groups_b = dict(walk(B))
        for path, ga in walk(A):
            gb = groups_b.get(path)
            if gb is None:
                problems.append("group %s missing" % path)
                continue
            for name, va in ga.variables.items():
                if not isinstance(va.datatype, np.dtype) or va.dtype.kind in "SUO":
                    continue  # char, string, enum: not converted
                vb = gb.variables.get(name)
                if vb is None:
                    problems.append("variable %s%s missing" % (path, name))
                    continue
                if va.dtype != vb.dtype or va.dimensions != vb.dimensions:
                    problems.append("%s: %s%s != %s%s" % (name, va.dtype, va.dimensions,
                                                          vb.dtype, vb.dimensions))
                if not np.array_equal(np.asarray(va[...]), np.asarray(vb[...]), equal_nan=True):
                    problems.append("%s: values" % name)
                for k in va.ncattrs():
                    x = va.getncattr(k)
                    y = vb.getncattr(k) if k in vb.ncattrs() else None
                    if y is None or np.asarray(x).dtype != np.asarray(y).dtype or \
                            not np.array_equal(np.asarray(x), np.asarray(y)):
                        problems.append("%s.%s: %r != %r" % (name, k, x, y))
    return problems


@needs_shared
@pytest.mark.skipif(not tensogram.__has_netcdf__, reason="built without NetCDF")
@pytest.mark.parametrize("name", NETCDF_INPUTS)
def test_netcdf_round_trip(name, tmp_path):
    """NetCDF -> tgm -> NetCDF-4 for every split: the variables come back
    with their types, dimensions, packing, attributes and raw values
    (netCDF4 reading both files), and ncdump reads the result."""
    src = SHARED / "netcdf" / ("%s.nc" % name)
    with netCDF4.Dataset(src) as ds:
        has_unlimited = any(d.isunlimited() for d in ds.dimensions.values())
    for split in ("file", "variable", "record"):
        if split == "record" and not has_unlimited:
            with pytest.raises(ValueError, match="unlimited"):
                tensogram.convert_netcdf(str(src), split_by=split)
            continue
        try:
            msgs = tensogram.convert_netcdf(str(src), split_by=split, cf=True)
        except ValueError as e:
            assert "no variables found" in str(e)
            return
        if not msgs:  # a record split of a file without records
            continue
        out = tmp_path / ("%s-%s.nc" % (name, split))
        tensogram.to_netcdf(msgs, str(out))
        assert nc_compare(src, out) == []
        if shutil.which("ncdump"):
            r = subprocess.run(["ncdump", "-h", str(out)], capture_output=True, text=True)
            assert r.returncode == 0, r.stderr


@needs_shared
@pytest.mark.skipif(not tensogram.__has_netcdf__, reason="built without NetCDF")
@pytest.mark.parametrize("name", NETCDF_INPUTS)
def test_netcdf_values_match_netcdf4(name):
    """Every object equals what python3-netcdf4 reads: unpacked values (NaN
    at fill / missing points) for packed variables, raw ones otherwise."""
    src = SHARED / "netcdf" / ("%s.nc" % name)
    try:
        msgs = tensogram.convert_netcdf(str(src))
    except ValueError:
        return
    meta, objects = tensogram.decode(msgs[0])
    for j, (d, arr) in enumerate(objects):
        nc = meta.base[j]["netcdf"]
        var = (nc.get("_group", "").rstrip("/") + "/" + meta.base[j]["name"]).lstrip("/")
        packed = "_packing" in nc
        want = netcdf4_values(src, var, packed)
        assert arr.dtype == (np.float64 if packed else want.dtype)
        assert np.array_equal(arr, want, equal_nan=True), var


@needs_shared
@pytest.mark.parametrize(
    "family,name,cut,match",
    [
        ("grib", "t_600.grib2", 100000, "GRIB message 0 is truncated"),
        ("netcdf", "simple_2d.nc", 200, "the data of variable 'data' runs past its end"),
        ("netcdf", "nc3_classic.nc", 60, "its header runs past its end"),
        ("netcdf", "cf_temperature.nc", 9000, "corrupt or truncated NetCDF-4"),
    ],
)
def test_truncated_inputs_raise(family, name, cut, match, tmp_path):
    """A cut GRIB or NetCDF input raises RuntimeError saying so, from a
    path and from memory (netCDF-C alone reads a cut classic file's missing
    values as zeros: ncdump prints them)."""
    if not (tensogram.__has_grib__ if family == "grib" else tensogram.__has_netcdf__):
        pytest.skip("built without " + family)
    data = (SHARED / family / name).read_bytes()[:cut]
    path = tmp_path / name
    path.write_bytes(data)
    if family == "grib":
        by_path, by_buffer = tensogram.convert_grib, tensogram.convert_grib_buffer
    else:
        by_path, by_buffer = tensogram.convert_netcdf, tensogram.convert_netcdf_buffer
    with pytest.raises(RuntimeError, match=match):
        by_path(str(path))
    with pytest.raises(RuntimeError, match=match):
        by_buffer(data)
