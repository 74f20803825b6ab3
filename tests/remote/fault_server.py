#!/usr/bin/python3
"""A fault-injecting HTTP/1.1 file server for the remote tests.

It binds 127.0.0.1 on a free port (printed as "PORT <n>" on stdout), serves
the files of --root with byte ranges, and misbehaves on request:

    GET /f/<faults>/<relative path>     faults: "-" or tokens joined by ","

    500xN 503xN 429xN  answer that status N times, then serve normally
    dropxN             close the connection without an answer N times
    truncxN            announce the whole range, send half of it, close; N times
    ignore             answer 200 with the whole file (Range ignored)
    wrongcr            206 whose Content-Range starts one byte late
    shortcr            206 with a shorter range than asked (10 bytes less)
    more               206 whose body is longer than its Content-Range
    gzip               a Content-Encoding: gzip header on plain bytes
    stallMS            wait MS milliseconds (at most 30000) before answering
    stallmid           send half the body, then stall for 30 s
    holdmid            send half the body, then hold the rest back for as long as
                       the file "<served file>.hold" exists (a test removes it);
                       /__stats counts transfers being held ("holding") and those
                       the client closed while held ("aborted")
    etagafterN         the ETag changes after N requests of this path
    noetag             no ETag header
    trunclargexN       like truncxN, for the first N requests asking for at
                       least 1 MiB (the payload parts of a large read) only
    etaglarge          requests asking for at least 1 MiB get another ETag

Counters are per (faults, path) and reset by GET /__reset; GET /__stats
returns {"requests": total, "paths": {path: count}, "holding": n,
"aborted": n, "ranges": [the Range header of each request, in order of
arrival, "" for none; the last 1000]} as JSON.  The process
exits by itself after --lifetime seconds.  Nothing here talks to any
address but the loopback one it listens on.
"""

import argparse
import http.server
import json
import os
import re
import select
import socket
import socketserver
import sys
import threading
import time

LOCK = threading.Lock()
COUNTS = {}  # (faults, path) -> requests seen
TOTAL = [0]
PATHS = {}
HOLDING = [0]
ABORTED = [0]
RANGES = []
LARGE = 1 << 20


def parse_faults(spec):
    out = {}
    if spec in ("", "-"):
        return out
    for tok in spec.split(","):
        m = re.fullmatch(r"(500|503|429|drop|trunc|trunclarge)x(\d+)", tok)
        if m:
            out[m.group(1)] = int(m.group(2))
            continue
        m = re.fullmatch(r"stall(\d+)", tok)
        if m:
            out["stall"] = min(int(m.group(1)), 30000)
            continue
        m = re.fullmatch(r"etagafter(\d+)", tok)
        if m:
            out["etagafter"] = int(m.group(1))
            continue
        if tok in ("ignore", "wrongcr", "shortcr", "more", "gzip", "stallmid", "noetag", "holdmid",
                   "etaglarge"):
            out[tok] = True
            continue
        raise ValueError("unknown fault token %r" % tok)
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    root = "."

    def log_message(self, fmt, *args):
        pass

    def _plain(self, code, body=b""):
        self.send_response(code)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        if self.path == "/__stats":
            with LOCK:
                body = json.dumps(
                    {"requests": TOTAL[0], "paths": PATHS, "holding": HOLDING[0],
                     "aborted": ABORTED[0], "ranges": RANGES}
                ).encode()
            return self._plain(200, body)
        if self.path == "/__reset":
            with LOCK:
                COUNTS.clear()
                PATHS.clear()
                TOTAL[0] = 0
                ABORTED[0] = 0
                del RANGES[:]
            return self._plain(200, b"ok")
        m = re.fullmatch(r"/f/([^/]+)/(.+)", self.path)
        if not m:
            return self._plain(404, b"no such path")
        try:
            faults = parse_faults(m.group(1))
        except ValueError as e:
            return self._plain(400, str(e).encode())
        rel = m.group(2)
        full = os.path.realpath(os.path.join(self.root, rel))
        if not full.startswith(os.path.realpath(self.root) + os.sep) or not os.path.isfile(full):
            return self._plain(404, b"<Error><Code>NoSuchKey</Code></Error>")
        size = os.path.getsize(full)
        key = (m.group(1), rel)
        rng = self.headers.get("Range")
        rm = re.fullmatch(r"bytes=(\d+)-(\d+)", (rng or "").strip())
        large = rm is not None and int(rm.group(2)) + 1 - int(rm.group(1)) >= LARGE
        with LOCK:
            n = COUNTS.get(key, 0)
            COUNTS[key] = n + 1
            nlarge = COUNTS.get(key + ("large",), 0)
            if large:
                COUNTS[key + ("large",)] = nlarge + 1
            TOTAL[0] += 1
            PATHS[self.path] = PATHS.get(self.path, 0) + 1
            RANGES.append(rng or "")
            del RANGES[:-1000]
        for code in ("500", "503", "429"):
            if n < faults.get(code, 0):
                self.send_response(int(code))
                if code != "500":
                    self.send_header("Retry-After", "0")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
        if n < faults.get("drop", 0):
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if "stall" in faults:
            time.sleep(faults["stall"] / 1000.0)
        etag = '"v1-%d"' % size
        if "etagafter" in faults and n >= faults["etagafter"]:
            etag = '"v2-%d"' % size
        if "etaglarge" in faults and large:
            etag = '"v3-%d"' % size
        if rng is None or "ignore" in faults:
            start, end, status = 0, size, 200
        else:
            rm = re.fullmatch(r"bytes=(\d+)-(\d*)", rng.strip())
            if not rm:
                return self._plain(416)
            start = int(rm.group(1))
            end = int(rm.group(2)) + 1 if rm.group(2) else size
            end = min(end, size)
            if start >= size:
                self.send_response(416)
                self.send_header("Content-Range", "bytes */%d" % size)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = 206
        if "shortcr" in faults and end - start > 10:
            end -= 10
        with open(full, "rb") as fh:  # only the bytes asked for
            fh.seek(start)
            body = fh.read(end - start)
        cr_start = start + 1 if "wrongcr" in faults else start
        if "more" in faults:
            body = body + b"EXTRA"
        self.send_response(status)
        if status == 206:
            cr_end = cr_start + (end - start) - 1
            self.send_header("Content-Range", "bytes %d-%d/%d" % (cr_start, cr_end, size))
        if "noetag" not in faults:
            self.send_header("ETag", etag)
        if "gzip" in faults:
            self.send_header("Content-Encoding", "gzip")
        trunc = n < faults.get("trunc", 0) or (large and nlarge < faults.get("trunclarge", 0))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if "holdmid" in faults:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            return self._hold(full + ".hold", body[len(body) // 2 :])
        if trunc or "stallmid" in faults:
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            if "stallmid" in faults:
                time.sleep(30)
            self.close_connection = True
            return
        self.wfile.write(body)


    def _hold(self, flag, rest):
        """Hold `rest` back while `flag` exists; notice a client that closes."""
        with LOCK:
            HOLDING[0] += 1
        closed = False
        try:
            while os.path.exists(flag) and not closed:
                ready, _, _ = select.select([self.connection], [], [], 0.02)
                if ready:
                    try:
                        closed = self.connection.recv(1, socket.MSG_PEEK) == b""
                    except OSError:
                        closed = True
                    if not closed:
                        time.sleep(0.02)
        finally:
            with LOCK:
                HOLDING[0] -= 1
                if closed:
                    ABORTED[0] += 1
        self.close_connection = True
        if not closed:
            self.wfile.write(rest)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 512  # many concurrent transfers (async tests)
    allow_reuse_address = True

    def handle_error(self, request, client_address):
        # Clients aborting transfers (by design in these tests) are normal.
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", required=True)
    ap.add_argument("--lifetime", type=float, default=600.0)
    args = ap.parse_args()
    Handler.root = args.root
    srv = Server(("127.0.0.1", 0), Handler)
    print("PORT %d" % srv.server_address[1], flush=True)

    def expire():
        time.sleep(args.lifetime)
        os._exit(0)

    threading.Thread(target=expire, daemon=True).start()
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
