"""Serve the test mirror on 127.0.0.1, and a logging HTTP proxy in front of it (test-only).

    serve.py start STATE_DIR MIRROR_DIR MIRROR_PORT PROXY_PORT
    serve.py stop STATE_DIR

The proxy writes one line per request to STATE_DIR/proxy.log, so a test can prove that a
download went through it. It forwards only to 127.0.0.1: test traffic stays on this machine.
"""
import functools
import http.server
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request


class LoggingProxy(http.server.BaseHTTPRequestHandler):
    log_path = None

    def do_GET(self):  # noqa: N802 (http.server's naming)
        target = urllib.parse.urlsplit(self.path)
        with open(self.log_path, "a") as log:
            log.write("%s %s\n" % (self.command, self.path))
        if target.hostname not in ("127.0.0.1", "localhost"):
            self.send_error(403, "this test proxy forwards only to 127.0.0.1")
            return
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.path, timeout=30) as upstream:
                body = upstream.read()
                status = upstream.status
        except urllib.error.HTTPError as exc:
            body, status = exc.read(), exc.code
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


def serve(kind, directory, port, state):
    if kind == "mirror":
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=directory)
    else:
        LoggingProxy.log_path = os.path.join(state, "proxy.log")
        handler = LoggingProxy
    http.server.ThreadingHTTPServer(("127.0.0.1", int(port)), handler).serve_forever()


def wait_port(port, listening=True):
    """Wait until something listens on 127.0.0.1:port (or, listening=False, until nothing does)."""
    import socket
    for _attempt in range(50):
        with socket.socket() as sock:
            if (sock.connect_ex(("127.0.0.1", int(port))) == 0) == listening:
                return
        time.sleep(0.1)
    if listening:
        sys.exit("nothing listens on 127.0.0.1:%s" % port)
    # a port another process still holds (a mirror an interrupted run left) would answer for the new
    # one with its own directory: fail instead, once a server just stopped has had time to go
    sys.exit("127.0.0.1:%s is held by another process (a mirror an interrupted run left?): stop it first" % port)


def start(state, directory, mirror_port, proxy_port):
    stop(state)
    for port in (mirror_port, proxy_port):
        wait_port(port, listening=False)
    os.makedirs(state, exist_ok=True)
    open(os.path.join(state, "proxy.log"), "w").close()
    for kind, port in (("mirror", mirror_port), ("proxy", proxy_port)):
        proc = subprocess.Popen([sys.executable, __file__, "_serve", kind, directory, port, state],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True, close_fds=True)
        with open(os.path.join(state, kind + ".pid"), "w") as handle:
            handle.write(str(proc.pid))
        wait_port(port)


def stop(state):
    for kind in ("mirror", "proxy"):
        pidfile = os.path.join(state, kind + ".pid")
        if os.path.exists(pidfile):
            try:
                os.kill(int(open(pidfile).read()), signal.SIGTERM)
            except (OSError, ValueError):
                pass
            os.unlink(pidfile)


if __name__ == "__main__":
    if sys.argv[1] == "start":
        start(*sys.argv[2:6])
    elif sys.argv[1] == "stop":
        stop(sys.argv[2])
    elif sys.argv[1] == "_serve":
        serve(*sys.argv[2:6])
    else:
        sys.exit(__doc__)
