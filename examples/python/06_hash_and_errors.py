"""Integrity hashes and the exceptions the API raises."""

import os
import tempfile

import numpy as np

import tensogram

data = np.arange(100, dtype=np.float32)
desc = {"type": "ntensor", "shape": [100], "dtype": "float32"}
msg = tensogram.encode({}, [(desc, data)], hash="xxh3")
tensogram.decode(msg, verify_hash=True)
print("hash verified")

damaged = bytearray(msg)
damaged[bytes(msg).find(data.tobytes()) + 17] ^= 0x40
try:
    tensogram.decode(bytes(damaged), verify_hash=True)
except tensogram.HashMismatchError as e:  # a RuntimeError
    print("HashMismatchError: object %d, stored %s, computed %s"
          % (e.object_index, e.expected, e.actual))

unhashed = tensogram.encode({}, [(desc, data)], hash=None)
try:
    tensogram.decode(unhashed, verify_hash=True)
except tensogram.MissingHashError as e:
    print("MissingHashError on object", e.object_index)

for label, call in [
    ("unknown dtype", lambda: tensogram.encode({}, [(dict(desc, dtype="float128"), data)])),
    ("not a message", lambda: tensogram.decode(b"hello world")),
    ("NaN refused", lambda: tensogram.encode({}, [(desc, np.full(100, np.nan, np.float32))])),
]:
    try:
        call()
    except ValueError as e:
        print("ValueError (%s): %s" % (label, str(e)[:70]))

try:
    tensogram.TensogramFile.open(os.path.join(tempfile.gettempdir(), "does-not-exist.tgm"))
except FileNotFoundError as e:
    print("FileNotFoundError:", e.filename)

try:
    tensogram.decode_metadata(msg)["no_such_key"]
except KeyError as e:
    print("KeyError:", e)
