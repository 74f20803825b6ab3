"""Streaming, both ends: a producer writes objects one at a time
(StreamingEncoder); a consumer decodes each message as soon as its last
byte has arrived, from a byte stream read in small pieces."""

import struct

import numpy as np

import tensogram

enc = tensogram.StreamingEncoder({"_extra_": {"source": "model run 42"}}, hash="xxh3")
for level in (1000, 850, 500):
    field = np.full((4, 8), float(level), dtype=np.float32)
    enc.write_preceder({"level": level})  # per-object metadata, written before the object
    enc.write_object({"type": "ntensor", "shape": [4, 8], "dtype": "float32"}, field)
    print("object written, %d bytes so far" % enc.bytes_written)
msg = enc.finish_backfilled()  # total length recorded at both ends

total_start = struct.unpack(">Q", msg[16:24])[0]
total_end = struct.unpack(">Q", msg[-16:-8])[0]
print("message: %d bytes, preamble says %d, postamble says %d" % (len(msg), total_start, total_end))
meta, objects = tensogram.decode(msg, verify_hash=True)
print("levels:", [m["level"] for m in meta.base])

# One encoder, a sequence of messages.
enc = tensogram.StreamingEncoder({})
out = []
for step in range(3):
    enc.write_object({"type": "ntensor", "shape": [2], "dtype": "int32"},
                     np.array([step, step], dtype=np.int32))
    out.append(enc.finish_and_reset())
print("sequence:", [m.objects[0][1].tolist() for m in tensogram.iter_messages(b"".join(out))])


# ---- The consumer: bytes arrive in small pieces (a socket, a pipe, an HTTP body) ----
import socket
import threading

stream = b"".join(out) + msg  # 4 messages back to back
left, right = socket.socketpair()


def produce():
    for i in range(0, len(stream), 100):  # 100-byte pieces
        left.sendall(stream[i : i + 100])
    left.close()


threading.Thread(target=produce).start()
pending = b""
seen = 0
while True:
    piece = right.recv(100)
    if not piece:
        break
    pending += piece
    found = tensogram.scan(pending)  # complete messages only
    for off, length in found:
        meta, objects = tensogram.decode(pending[off : off + length], verify_hash=True)
        seen += 1
        print("message %d complete after %d bytes: %d object(s), first %s %s" % (
            seen, len(pending), len(objects), objects[0][0].shape, objects[0][1].dtype))
    if found:
        end = found[-1][0] + found[-1][1]
        pending = pending[end:]
right.close()
assert seen == 4 and pending == b""
