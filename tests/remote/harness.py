#!/usr/bin/python3
"""Start the servers the remote tests need, run a command with their
addresses in its environment, stop the servers (by PID) afterwards.

    harness.py --work DIR --servers fault,nginx,s3 [--shared DIR]
               [--npm-prefix DIR] -- COMMAND [ARGS...]

Servers (every one on 127.0.0.1, on a free port, bounded in lifetime):
  fault  tests/remote/fault_server.py over DIR/fault (TGM_TEST_FAULT_URL,
         TGM_TEST_FAULT_ROOT: a directory the test writes files into)
  nginx  Debian's nginx serving DIR/www over HTTP/1.1 and over HTTPS with
         HTTP/2, with a CA and certificate made here by openssl
         (TGM_TEST_NGINX_HTTP, TGM_TEST_NGINX_HTTPS, TGM_TEST_NGINX_CA,
         TGM_TEST_NGINX_LOG: the access log, one line per request
         "<method> <uri> <range> <status> <bytes> <protocol>",
         TGM_TEST_NGINX_GEN: a directory served as /gen/; the reference
         files are served as /ref/)
  s3     s3rver (npm) behind tests/remote/s3_gate.py, which checks every
         signature with botocore; buckets "tgm" (signed access only) and
         "public" (anonymous reads), both holding the reference's
         remote-parity files under remote-parity/ (TGM_TEST_S3_ENDPOINT,
         TGM_TEST_S3_KEY_ID, TGM_TEST_S3_SECRET, TGM_TEST_S3_REGION,
         TGM_TEST_S3_TOKEN_ENDPOINT: a second gate that also requires the
         session token TGM_TEST_S3_TOKEN, TGM_TEST_S3_LOG: the gate's log)

Exit status: the command's; 77 (skipped) when a server cannot be started
because its program is not installed.
"""

import argparse
import http.client
import os
import shutil
import signal
import socket
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PY = "/usr/bin/python3"
LIFETIME = "1800"
CHILDREN = []


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, proc, what, timeout=20.0):
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError("%s exited early (status %s)" % (what, proc.returncode))
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("%s did not listen on port %d" % (what, port))


def spawn(cmd, **kw):
    proc = subprocess.Popen(cmd, **kw)
    CHILDREN.append(proc)
    return proc


def read_port(proc, what):
    line = proc.stdout.readline().decode().strip()
    if not line.startswith("PORT "):
        raise RuntimeError("%s did not start: %r" % (what, line))
    return int(line.split()[1])


def skip(reason):
    print("skipped: " + reason, flush=True)
    sys.exit(77)


def start_fault(work, env):
    root = os.path.join(work, "fault")
    os.makedirs(root, exist_ok=True)
    proc = spawn([PY, os.path.join(HERE, "fault_server.py"), "--root", root, "--lifetime",
                  LIFETIME], stdout=subprocess.PIPE)
    port = read_port(proc, "fault server")
    env["TGM_TEST_FAULT_URL"] = "http://127.0.0.1:%d" % port
    env["TGM_TEST_FAULT_ROOT"] = root


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)


def make_certs(d):
    ca_key, ca_crt = os.path.join(d, "ca.key"), os.path.join(d, "ca.crt")
    key, csr, crt = (os.path.join(d, n) for n in ("server.key", "server.csr", "server.crt"))
    ext = os.path.join(d, "san.ext")
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out", ca_crt,
            "-days", "2", "-subj", "/CN=tensogram test CA")
    openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr, "-subj",
            "/CN=127.0.0.1")
    with open(ext, "w") as f:
        f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key, "-CAcreateserial",
            "-out", crt, "-days", "2", "-extfile", ext)
    return ca_crt, crt, key


def start_nginx(work, shared, env):
    nginx = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx")
                                       else None)
    if nginx is None:
        skip("nginx is not installed (Debian: nginx)")
    if shutil.which("openssl") is None:
        skip("openssl is not installed")
    d = os.path.join(work, "nginx")
    www = os.path.join(d, "www")
    gen = os.path.join(www, "gen")
    for sub in ("", "www", "www/gen", "tmp", "logs"):
        os.makedirs(os.path.join(d, sub), exist_ok=True)
    ref = os.path.join(www, "ref")
    if os.path.lexists(ref):
        os.unlink(ref)
    if shared and os.path.isdir(shared):
        os.symlink(os.path.abspath(shared), ref)
    ca, crt, key = make_certs(d)
    p1, p2 = free_port(), free_port()
    log = os.path.join(d, "logs", "access.log")
    open(log, "w").close()
    conf = os.path.join(d, "nginx.conf")
    with open(conf, "w") as f:
        f.write("""
daemon off;
master_process off;
worker_processes 1;
pid %(d)s/nginx.pid;
error_log %(d)s/logs/error.log warn;
events { worker_connections 512; }
http {
    access_log off;
    log_format tgm '$request_method $uri $http_range $status $body_bytes_sent $server_protocol';
    client_body_temp_path %(d)s/tmp/body;
    proxy_temp_path %(d)s/tmp/proxy;
    fastcgi_temp_path %(d)s/tmp/fastcgi;
    uwsgi_temp_path %(d)s/tmp/uwsgi;
    scgi_temp_path %(d)s/tmp/scgi;
    types { application/octet-stream tgm; }
    default_type application/octet-stream;
    sendfile on;
    keepalive_requests 100000;
    http2_max_concurrent_streams 256;
    server {
        listen 127.0.0.1:%(p1)d;
        root %(www)s;
        access_log %(log)s tgm;
        disable_symlinks off;
    }
    server {
        listen 127.0.0.1:%(p2)d ssl http2;
        ssl_certificate %(crt)s;
        ssl_certificate_key %(key)s;
        root %(www)s;
        access_log %(log)s tgm;
        disable_symlinks off;
    }
}
""" % dict(d=d, p1=p1, p2=p2, www=www, log=log, crt=crt, key=key))
    proc = spawn([nginx, "-p", d, "-c", conf, "-e", os.path.join(d, "logs", "error.log")],
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(p1, proc, "nginx")
    wait_port(p2, proc, "nginx (TLS)")
    env["TGM_TEST_NGINX_HTTP"] = "http://127.0.0.1:%d" % p1
    env["TGM_TEST_NGINX_HTTPS"] = "https://127.0.0.1:%d" % p2
    env["TGM_TEST_NGINX_CA"] = ca
    env["TGM_TEST_NGINX_LOG"] = log
    env["TGM_TEST_NGINX_GEN"] = gen


def s3_put(port, path, data):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("PUT", path, body=data, headers={"Content-Length": str(len(data))})
    resp = conn.getresponse()
    resp.read()
    conn.close()
    if resp.status not in (200, 204):
        raise RuntimeError("PUT %s to s3rver: HTTP %d" % (path, resp.status))


def start_s3(work, shared, npm_prefix, env):
    s3rver = os.path.join(npm_prefix, "node_modules", "s3rver", "bin", "s3rver.js")
    node = shutil.which("node") or shutil.which("nodejs")
    if node is None or not os.path.exists(s3rver):
        skip("s3rver is not installed (scripts/install-deps.sh puts it in %s)" % npm_prefix)
    try:
        import botocore  # noqa: F401
    except ImportError:
        skip("python3-botocore is not installed")
    d = os.path.join(work, "s3")
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    port = free_port()
    proc = spawn([node, s3rver, "--directory", d, "--address", "127.0.0.1", "--port", str(port),
                  "--silent", "--configure-bucket", "tgm", "--configure-bucket", "public"],
                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wait_port(port, proc, "s3rver")
    key_id, secret, token = "AKIDTENSOGRAMTEST", "tensogram-test-secret/key+1", "session-token-42"
    log = os.path.join(work, "s3-gate.log")
    open(log, "w").close()
    gate = spawn([PY, os.path.join(HERE, "s3_gate.py"), "--upstream", str(port), "--key-id",
                  key_id, "--secret", secret, "--log", log, "--lifetime", LIFETIME],
                 stdout=subprocess.PIPE)
    gate_port = read_port(gate, "S3 gate")
    gate2 = spawn([PY, os.path.join(HERE, "s3_gate.py"), "--upstream", str(port), "--key-id",
                   key_id, "--secret", secret, "--session-token", token, "--log", log,
                   "--lifetime", LIFETIME], stdout=subprocess.PIPE)
    gate2_port = read_port(gate2, "S3 gate (session token)")
    parity = os.path.join(shared or "", "remote-parity")
    if os.path.isdir(parity):
        for name in sorted(os.listdir(parity)):
            with open(os.path.join(parity, name), "rb") as f:
                data = f.read()
            for bucket in ("tgm", "public"):
                s3_put(port, "/%s/remote-parity/%s" % (bucket, name), data)
    env["TGM_TEST_S3_ENDPOINT"] = "http://127.0.0.1:%d" % gate_port
    env["TGM_TEST_S3_TOKEN_ENDPOINT"] = "http://127.0.0.1:%d" % gate2_port
    env["TGM_TEST_S3_KEY_ID"] = key_id
    env["TGM_TEST_S3_SECRET"] = secret
    env["TGM_TEST_S3_TOKEN"] = token
    env["TGM_TEST_S3_REGION"] = "eu-test-1"
    env["TGM_TEST_S3_LOG"] = log


def stop_all():
    for proc in reversed(CHILDREN):
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
    end = time.time() + 5
    for proc in reversed(CHILDREN):
        try:
            proc.wait(timeout=max(0.1, end - time.time()))
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--work", required=True)
    ap.add_argument("--servers", default="fault,nginx,s3")
    ap.add_argument("--shared", default=os.environ.get("TGM_SHARED_DIR", ""))
    ap.add_argument("--npm-prefix", default=os.environ.get(
        "TGM_NPM_PREFIX", os.path.join(os.path.expanduser("~"), ".cache", "tensogram", "npm")))
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    args = ap.parse_args()
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        ap.error("no command")
    os.makedirs(args.work, exist_ok=True)
    env = dict(os.environ)
    # Nothing may leave the machine: no proxy from the environment.
    for k in ("http_proxy", "https_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
              "all_proxy"):
        env.pop(k, None)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    servers = [s for s in args.servers.split(",") if s]
    try:
        for s in servers:
            if s == "fault":
                start_fault(args.work, env)
            elif s == "nginx":
                start_nginx(args.work, args.shared, env)
            elif s == "s3":
                start_s3(args.work, args.shared, args.npm_prefix, env)
            else:
                ap.error("unknown server %s" % s)
        return subprocess.call(cmd, env=env)
    finally:
        stop_all()


if __name__ == "__main__":
    sys.exit(main())
