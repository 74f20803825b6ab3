"""Check messages and files without trusting them."""

import os
import tempfile

import numpy as np

import tensogram

desc = {"type": "ntensor", "shape": [1000], "dtype": "float64", "compression": "zstd"}
msg = tensogram.encode({}, [(desc, np.linspace(0, 1, 1000))])
for level in ("quick", "default", "checksum", "full"):
    report = tensogram.validate(msg, level=level, check_canonical=True)
    print("%-8s issues=%d objects=%d hash_verified=%s"
          % (level, len(report["issues"]), report["object_count"], report["hash_verified"]))

damaged = bytearray(msg)
damaged[len(damaged) // 2] ^= 0xFF
for issue in tensogram.validate(bytes(damaged))["issues"]:
    print("[%s] %s: %s" % (issue["severity"], issue["code"], issue["description"]))

path = os.path.join(tempfile.mkdtemp(), "checked.tgm")
with open(path, "wb") as fh:
    fh.write(msg + msg + b"torn tail")
report = tensogram.validate_file(path)
print("file: %d messages, file issues: %s"
      % (len(report["messages"]), [i["description"] for i in report["file_issues"]]))

build = tensogram.doctor()["build"]
print("library %s, wire format %d" % (build["version"], build["wire_version"]))
