#!/usr/bin/python3
"""A signature-checking gate in front of s3rver (which accepts any request).

Every request carrying an AWS SigV4 Authorization header is signed again
with botocore's S3 signer (an implementation independent of libcurl's)
from the headers the client says it signed; a different signature is
answered 403 SignatureDoesNotMatch, an unknown key 403 InvalidAccessKeyId.
Unsigned requests are let through only for the bucket named by
--public-bucket.  Accepted requests are forwarded to s3rver unchanged.

Listens on 127.0.0.1 (port printed as "PORT <n>"), forwards only to the
loopback s3rver port given, exits by itself after --lifetime seconds.  Each
decision is appended to --log as one line: "<verdict> <method> <path>".
"""

import argparse
import datetime
import hmac
import http.client
import http.server
import os
import re
import socketserver
import sys
import threading
import time

from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

ARGS = None
LOG_LOCK = threading.Lock()


def log(line):
    with LOG_LOCK:
        with open(ARGS.log, "a") as f:
            f.write(line + "\n")


def error_xml(code, message):
    return (
        '<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message></Error>'
        % (code, message)
    ).encode()


AUTH_RE = re.compile(
    r"AWS4-HMAC-SHA256 Credential=([^/]+)/(\d{8})/([^/]+)/([^/]+)/aws4_request,\s*"
    r"SignedHeaders=([^,]+),\s*Signature=([0-9a-f]{64})$"
)


def check_signature(method, path, headers):
    """None when the request may pass, else (status, code, message)."""
    auth = headers.get("Authorization")
    if auth is None:
        bucket = path.lstrip("/").split("/", 1)[0]
        if bucket == ARGS.public_bucket:
            return None
        return (403, "AccessDenied", "Anonymous access is not allowed to this bucket")
    m = AUTH_RE.match(auth.strip())
    if not m:
        return (400, "AuthorizationHeaderMalformed", "cannot parse the Authorization header")
    key_id, day, region, service, signed, signature = m.groups()
    if key_id != ARGS.key_id:
        return (403, "InvalidAccessKeyId", "unknown access key id %s" % key_id)
    stamp = headers.get("X-Amz-Date", "")
    if not stamp.startswith(day):
        return (403, "SignatureDoesNotMatch", "credential date and X-Amz-Date differ")
    when = datetime.datetime.strptime(stamp, "%Y%m%dT%H%M%SZ")
    if abs((datetime.datetime.utcnow() - when).total_seconds()) > 900:
        return (403, "RequestTimeTooSkewed", "request time too skewed")
    names = signed.split(";")
    if "x-amz-content-sha256" not in names:
        return (400, "MissingSecurityHeader", "x-amz-content-sha256 must be signed")
    token = ARGS.session_token
    if token and headers.get("x-amz-security-token") != token:
        return (403, "InvalidToken", "missing or wrong session token")
    if token and "x-amz-security-token" not in names:
        return (403, "AccessDenied", "the session token must be signed")
    signed_headers = {}
    for name in names:
        value = headers.get(name)
        if value is None:
            return (403, "SignatureDoesNotMatch", "signed header %s is missing" % name)
        signed_headers[name] = " ".join(value.split())
    req = AWSRequest(method=method, url="http://%s%s" % (headers.get("Host"), path),
                     headers=signed_headers)
    req.context["timestamp"] = stamp
    signer = S3SigV4Auth(Credentials(key_id, ARGS.secret, token or None), service, region)
    canonical = signer.canonical_request(req)
    expected = signer.signature(signer.string_to_sign(req, canonical), req)
    if not hmac.compare_digest(expected, signature):
        return (403, "SignatureDoesNotMatch",
                "The request signature we calculated does not match the signature you provided")
    return None


class Gate(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):
        pass

    def _handle(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        verdict = check_signature(self.command, self.path, self.headers)
        if verdict is not None:
            status, code, message = verdict
            log("DENY %d %s %s %s" % (status, code, self.command, self.path))
            payload = error_xml(code, message)
            self.send_response(status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            return
        log("PASS %s %s %s" % ("signed" if "Authorization" in self.headers else "anonymous",
                               self.command, self.path))
        conn = http.client.HTTPConnection("127.0.0.1", ARGS.upstream, timeout=30)
        # s3rver checks signatures against its own keys: it gets the request
        # without them (this gate has checked them).
        fwd = {k: v for k, v in self.headers.items()
               if k.lower() not in ("connection", "authorization", "x-amz-security-token",
                                    "x-amz-date", "x-amz-content-sha256")}
        conn.request(self.command, self.path, body=body, headers=fwd)
        resp = conn.getresponse()
        data = resp.read()
        self.send_response(resp.status)
        for k, v in resp.getheaders():
            if k.lower() not in ("connection", "transfer-encoding", "content-length", "date",
                                 "server"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(data)
        conn.close()

    do_GET = _handle
    do_HEAD = _handle
    do_PUT = _handle


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--key-id", required=True)
    ap.add_argument("--secret", required=True)
    ap.add_argument("--session-token", default="")
    ap.add_argument("--public-bucket", default="public")
    ap.add_argument("--log", required=True)
    ap.add_argument("--lifetime", type=float, default=600.0)
    ARGS = ap.parse_args()
    srv = Server(("127.0.0.1", 0), Gate)
    print("PORT %d" % srv.server_address[1], flush=True)

    def expire():
        time.sleep(ARGS.lifetime)
        os._exit(0)

    threading.Thread(target=expire, daemon=True).start()
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
