#!/usr/bin/env python3
"""A small HTTP webapp for the examples: serves a greeting naming its port.

Foreground by default; with -D (or --daemon) it forks, detaches and writes
its PID to $PID_FILE, like a classic Unix daemon, so every process manager
can run it.
"""
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Greeting(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = f"Hello from the webapp on port {self.server.server_port}!\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        sys.stderr.write("%s %s\n" % (self.address_string(), format % args))


def daemonize(pid_file: str) -> None:
    if os.fork() > 0:
        os._exit(0)
    os.setsid()
    if os.fork() > 0:
        os._exit(0)
    with open(pid_file, "w") as f:
        f.write(f"{os.getpid()}\n")
    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)


def main() -> None:
    port = int(os.environ.get("PORT", "5000"))
    server = ThreadingHTTPServer(("127.0.0.1", port), Greeting)
    if {"-D", "--daemon"} & set(sys.argv[1:]):
        daemonize(os.environ.get("PID_FILE", f"/tmp/webapp-{port}.pid"))
    server.serve_forever()


if __name__ == "__main__":
    main()
