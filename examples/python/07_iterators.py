"""Find messages in a byte stream and iterate them."""

import numpy as np

import tensogram

desc = {"type": "ntensor", "shape": [4], "dtype": "int16"}
stream = b"".join(tensogram.encode({"base": [{"seq": i}]}, [(desc, np.full(4, i, np.int16))])
                  for i in range(5))
stream = b"\x00noise\x00" + stream + b"partial..."

for offset, length in tensogram.scan(stream):
    print("message at %5d, %d bytes" % (offset, length))

it = tensogram.iter_messages(stream)
print(it)
for meta, objects in it:
    print("seq", meta["seq"], "values", objects[0][1].tolist())
