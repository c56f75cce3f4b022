"""fixture_io.py — how the fixture generators write their files.

What tests/formats/make_formats.py, tests/reference/make_reference.py,
tests/reference/make_variants.py, tests/bad/make_bad.py and
tests/fuzz/make_corpus.py share: the JSON text of the fixtures, the framing
of hand-made .npy and safetensors files, zip archives with fixed times, and
the float32-exact values of the reference fixtures.  Each function returns
text or bytes; the generators write them where they keep their files.

The same values always give the same bytes, so a generator rerun writes
byte-identical files.  Only the standard library is needed (NumPy scalars and
arrays are accepted when NumPy is installed; f32 and tolist need it), so
make_corpus.py, which runs without NumPy, can use it too.  A generator
imports it relative to its own path:

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                    "..", "lib"))
    from fixture_io import to_json, ...
"""

import io
import json
import math
import struct
import zipfile

try:
    import numpy as np
except ImportError:  # make_corpus.py needs no NumPy
    np = None

_BOOL = (bool,) + ((np.bool_,) if np else ())
_INT = (int,) + ((np.integer,) if np else ())
_FLOAT = (float,) + ((np.floating,) if np else ())
_ARRAY = (np.ndarray,) if np else ()


# --------------------------------------------------------------------------
# JSON: deterministic and readable, innermost arrays on one line
# --------------------------------------------------------------------------

def _scalar(v):
    """One JSON value that is not a container.  Floats are written with
    Python's repr (the shortest text that reads back as the same double);
    NaN and infinities are refused, as JSON has no such numbers."""
    if v is None:
        return "null"
    if isinstance(v, _BOOL):
        return "true" if v else "false"
    if isinstance(v, _INT):
        return str(int(v))
    if isinstance(v, _FLOAT):
        f = float(v)
        if not math.isfinite(f):
            raise ValueError("non-finite value in fixture: %r" % f)
        return repr(f)
    if isinstance(v, str):
        return json.dumps(v)
    raise TypeError("cannot serialise %r" % type(v))


def _is_container(v):
    return isinstance(v, (list, tuple, dict) + _ARRAY)


def to_json(v, indent=0):
    """Pretty JSON: objects one key a line (indented by two spaces), an
    array of numbers on one line, so a matrix is one row a line."""
    pad, pad1 = "  " * indent, "  " * (indent + 1)
    if isinstance(v, _ARRAY):
        v = v.tolist()
    if isinstance(v, dict):
        if not v:
            return "{}"
        items = ["%s%s: %s" % (pad1, _scalar(k), to_json(x, indent + 1))
                 for k, x in v.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(v, (list, tuple)):
        if not any(_is_container(x) for x in v):
            return "[" + ", ".join(_scalar(x) for x in v) + "]"
        return ("[\n" + ",\n".join(pad1 + to_json(x, indent + 1) for x in v)
                + "\n" + pad + "]")
    return _scalar(v)


def compact_json(v):
    """One-line JSON without spaces (a line of JSON Lines)."""
    if isinstance(v, _ARRAY):
        v = v.tolist()
    if isinstance(v, dict):
        return "{" + ",".join("%s:%s" % (_scalar(k), compact_json(x))
                              for k, x in v.items()) + "}"
    if isinstance(v, (list, tuple)):
        return "[" + ",".join(compact_json(x) for x in v) + "]"
    return _scalar(v)


def json_file(obj):
    """The bytes of a .json fixture: to_json(obj), a newline, UTF-8."""
    return (to_json(obj) + "\n").encode("utf-8")


# --------------------------------------------------------------------------
# values of the reference fixtures (NumPy)
# --------------------------------------------------------------------------

def f32(a):
    """a rounded to float32, as a float64 array holding the exact values
    (written with repr, they read back the same with strtof or strtod)."""
    return np.asarray(a, dtype=np.float64).astype(np.float32).astype(np.float64)


def tolist(a):
    """A float64 array as nested lists of Python floats (for to_json)."""
    return np.asarray(a, dtype=np.float64).tolist()


# --------------------------------------------------------------------------
# binary formats, framed by hand
# --------------------------------------------------------------------------

def npy_header(descr, shape, fortran=False):
    """The header dict text numpy writes:
    "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }"."""
    dims = ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "")
    return "{'descr': '%s', 'fortran_order': %s, 'shape': (%s), }" % (
        descr, "True" if fortran else "False", dims)


def npy_file(header, data, version=1, pad=True):
    """An .npy file: magic, format version (version.0), header length, the
    header text (padded with spaces and a newline to a multiple of 64 when
    pad, as numpy does), then the data bytes."""
    h = header.encode("latin1")
    prefix = 10 if version == 1 else 12
    if pad:
        total = (prefix + len(h) + 1 + 63) // 64 * 64
        h = h + b" " * (total - prefix - len(h) - 1) + b"\n"
    size = struct.pack("<H" if version == 1 else "<I", len(h))
    return b"\x93NUMPY" + bytes([version, 0]) + size + h + data


def safetensors_file(header, buffer, pad=True):
    """A safetensors file: the u64 length of the header, the header (a dict,
    written as compact JSON, or a text kept as it is) padded with spaces to a
    multiple of 8 when pad (as the safetensors library does), the buffer."""
    text = header if isinstance(header, str) else json.dumps(
        header, separators=(",", ":"))
    raw = text.encode("utf-8")
    if pad:
        raw += b" " * (-len(raw) % 8)
    return struct.pack("<Q", len(raw)) + raw + buffer


def zip_file(members, compress=False, comment=b""):
    """A zip archive of (name, bytes) members, stored or deflated, every
    member dated 1980-01-01 00:00 (zipfile's writer, no clock)."""
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", method) as z:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = method
            z.writestr(info, data)
        z.comment = comment
    return buf.getvalue()
