"""Notification sink for tests and the lab: stands in for Slack, PagerDuty, webhooks and email.

    sink.py --http 127.0.0.1:9099 --smtp 127.0.0.1:2525 --store /var/lib/sink/records.jsonl \
            [--tls-cert CERT --tls-key KEY] [--smtp-user U --smtp-password-file F]

HTTP: every POST is recorded as {"kind": "http", "path", "headers", "body"} (body parsed as JSON
when it is JSON); GET /records returns all records as a JSON list, DELETE /records clears them.
SMTP: a small server with STARTTLS and AUTH PLAIN/LOGIN. With --smtp-user it refuses mail
before a successful AUTH, and AUTH before STARTTLS, as a real provider would; each message is
recorded as {"kind": "smtp", "mail_from", "rcpt_to", "auth_user", "tls", "data"}.
Standard library only, so it runs in any test container.
"""
import argparse
import base64
import json
import os
import socketserver
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOCK = threading.Lock()
ARGS = None


def record(entry):
    entry["time"] = time.time()
    with LOCK, open(ARGS.store, "a") as handle:
        handle.write(json.dumps(entry) + "\n")


def records():
    if not os.path.exists(ARGS.store):
        return []
    with LOCK, open(ARGS.store) as handle:
        return [json.loads(line) for line in handle if line.strip()]


class HTTPHandler(BaseHTTPRequestHandler):
    def _reply(self, code, payload):
        body = json.dumps(payload).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path.startswith("/records"):
            self._reply(200, records())
        else:
            self._reply(200, {"status": "ok"})

    def do_DELETE(self):  # noqa: N802
        with LOCK:
            open(ARGS.store, "w").close()
        self._reply(200, {"cleared": True})

    def do_POST(self):  # noqa: N802
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode("utf-8", "replace")
        try:
            body = json.loads(raw)
        except ValueError:
            body = raw
        record({"kind": "http", "path": self.path, "headers": dict(self.headers.items()), "body": body})
        # PagerDuty's events API answers 202 with a status; Slack answers "ok"
        self._reply(202 if "pagerduty" in self.path else 200, {"status": "success", "message": "recorded"})

    def log_message(self, fmt, *args):
        pass


class SMTPHandler(socketserver.StreamRequestHandler):
    def send(self, line):
        self.wfile.write((line + "\r\n").encode())
        self.wfile.flush()

    def readline(self):
        return self.rfile.readline().decode("utf-8", "replace").rstrip("\r\n")

    def starttls(self):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(ARGS.tls_cert, ARGS.tls_key)
        self.connection = context.wrap_socket(self.connection, server_side=True)
        self.rfile = self.connection.makefile("rb")
        self.wfile = self.connection.makefile("wb")

    def check_auth(self, user, password):
        with open(ARGS.smtp_password_file) as handle:
            return user == ARGS.smtp_user and password == handle.read().strip()

    def handle(self):
        tls = False
        auth_user = None
        mail_from, rcpt_to = None, []
        self.send("220 tda-sink ESMTP")
        while True:
            line = self.readline()
            if not line and self.rfile.closed:
                return
            verb = line.split(" ", 1)[0].upper()
            argument = line[len(verb):].strip()
            if verb in ("EHLO", "HELO"):
                extensions = ["250-tda-sink"]
                if ARGS.tls_cert and not tls:
                    extensions.append("250-STARTTLS")
                if tls or not ARGS.tls_cert:
                    extensions.append("250-AUTH PLAIN LOGIN")
                extensions.append("250 8BITMIME")
                for item in extensions:
                    self.send(item)
            elif verb == "STARTTLS" and ARGS.tls_cert and not tls:
                self.send("220 ready to start TLS")
                self.starttls()
                tls = True
            elif verb == "AUTH":
                mechanism, _sep, initial = argument.partition(" ")
                if mechanism.upper() == "PLAIN":
                    if not initial:
                        self.send("334 ")
                        initial = self.readline()
                    parts = base64.b64decode(initial).decode().split("\0")
                    user, password = parts[1], parts[2]
                elif mechanism.upper() == "LOGIN":
                    self.send("334 " + base64.b64encode(b"Username:").decode())
                    user = base64.b64decode(self.readline()).decode()
                    self.send("334 " + base64.b64encode(b"Password:").decode())
                    password = base64.b64decode(self.readline()).decode()
                else:
                    self.send("504 unsupported mechanism")
                    continue
                if ARGS.smtp_user and self.check_auth(user, password):
                    auth_user = user
                    self.send("235 authenticated")
                else:
                    record({"kind": "smtp-auth-failed", "user": user, "tls": tls})
                    self.send("535 authentication failed")
            elif verb == "MAIL":
                if ARGS.smtp_user and not auth_user:
                    self.send("530 authentication required")
                    continue
                mail_from, rcpt_to = argument.split(":", 1)[1].strip(), []
                self.send("250 ok")
            elif verb == "RCPT":
                rcpt_to.append(argument.split(":", 1)[1].strip())
                self.send("250 ok")
            elif verb == "DATA":
                self.send("354 end with .")
                lines = []
                while True:
                    data_line = self.readline()
                    if data_line == ".":
                        break
                    lines.append(data_line[1:] if data_line.startswith("..") else data_line)
                record({"kind": "smtp", "mail_from": mail_from, "rcpt_to": rcpt_to, "auth_user": auth_user,
                        "tls": tls, "data": "\n".join(lines)})
                self.send("250 queued")
            elif verb == "RSET":
                mail_from, rcpt_to = None, []
                self.send("250 ok")
            elif verb == "NOOP":
                self.send("250 ok")
            elif verb == "QUIT":
                self.send("221 bye")
                return
            else:
                self.send("502 not implemented")


class SMTPServer(socketserver.ThreadingTCPServer):
    allow_reuse_address = True
    daemon_threads = True


def split(address):
    host, _sep, port = address.rpartition(":")
    return host, int(port)


def main():
    global ARGS
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--http", default="127.0.0.1:9099")
    parser.add_argument("--smtp", default="")
    parser.add_argument("--store", required=True)
    parser.add_argument("--tls-cert", default="")
    parser.add_argument("--tls-key", default="")
    parser.add_argument("--smtp-user", default="")
    parser.add_argument("--smtp-password-file", default="")
    ARGS = parser.parse_args()
    os.makedirs(os.path.dirname(os.path.abspath(ARGS.store)), exist_ok=True)
    if ARGS.smtp:
        smtp = SMTPServer(split(ARGS.smtp), SMTPHandler)
        threading.Thread(target=smtp.serve_forever, daemon=True).start()
    ThreadingHTTPServer(split(ARGS.http), HTTPHandler).serve_forever()


if __name__ == "__main__":
    main()
