#!/usr/bin/python3
"""An HTTP/1.1 proxy on 127.0.0.1 that adds a fixed latency to every
request before passing it to an upstream server on 127.0.0.1, for the
remote benchmarks: each request then costs one simulated round trip.

    latency_proxy.py --upstream PORT --latency-ms 20 [--lifetime 900]

Prints "PORT <n>".  Keep-alive connections are kept (one upstream
connection per client connection); GET only, bodies with Content-Length.
Exits by itself after --lifetime seconds.
"""

import argparse
import asyncio
import os
import sys


async def read_head(reader):
    data = await reader.readuntil(b"\r\n\r\n")
    lines = data.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines[1:]:
        if ":" in line:
            k, v = line.split(":", 1)
            headers[k.strip().lower()] = v.strip()
    return data, lines[0], headers


async def handle(creader, cwriter, args):
    ureader = uwriter = None
    try:
        while True:
            try:
                req, _, _ = await read_head(creader)
            except (asyncio.IncompleteReadError, ConnectionError):
                break
            await asyncio.sleep(args.latency_ms / 1000.0)
            if uwriter is None:
                ureader, uwriter = await asyncio.open_connection("127.0.0.1", args.upstream)
            uwriter.write(req)
            await uwriter.drain()
            head, status, headers = await read_head(ureader)
            cwriter.write(head)
            left = int(headers.get("content-length", "0"))
            while left > 0:
                chunk = await ureader.read(min(left, 1 << 20))
                if not chunk:
                    raise ConnectionError("upstream closed")
                cwriter.write(chunk)
                left -= len(chunk)
                await cwriter.drain()
            await cwriter.drain()
            if headers.get("connection", "").lower() == "close":
                break
    except (ConnectionError, asyncio.IncompleteReadError):
        pass
    finally:
        for w in (cwriter, uwriter):
            if w is not None:
                w.close()


async def main_async(args):
    server = await asyncio.start_server(lambda r, w: handle(r, w, args), "127.0.0.1", 0,
                                        backlog=1024)
    print("PORT %d" % server.sockets[0].getsockname()[1], flush=True)
    await asyncio.sleep(args.lifetime)
    os._exit(0)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--latency-ms", type=float, default=20.0)
    ap.add_argument("--lifetime", type=float, default=900.0)
    asyncio.run(main_async(ap.parse_args()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
