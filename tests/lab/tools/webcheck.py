#!/usr/bin/python3
"""The lab's web: a connectivity check server, or a hotel's login page.

  webcheck.py --listen ADDR:PORT --check    "204 No Content" for /generate_204
                                            (what [Connectivity] URL= expects),
                                            404 for anything else
  webcheck.py --listen ADDR:PORT --portal   a login page (200) for every request,
                                            whatever its path or host, as a captive
                                            portal that catches the web answers
"""
import argparse
import http.server

PAGE = (b"<!DOCTYPE html><html><head><title>Hotel Wi-Fi</title></head><body>"
        b"<h1>Welcome</h1><p>Please accept the terms to use the internet.</p>"
        b"<form method='post' action='/login'><button>Accept</button></form></body></html>")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--listen", required=True)
    mode = ap.add_mutually_exclusive_group(required=True)
    mode.add_argument("--check", action="store_true")
    mode.add_argument("--portal", action="store_true")
    a = ap.parse_args()
    host, _, port = a.listen.rpartition(":")

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            if a.portal:
                self.send_response(200)
                self.send_header("Content-Type", "text/html")
                self.send_header("Content-Length", str(len(PAGE)))
                self.end_headers()
                self.wfile.write(PAGE)
            elif self.path.startswith("/generate_204"):
                self.send_response(204)
                self.end_headers()
            else:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, fmt, *args):
            print("%s %s" % (self.address_string(), fmt % args), flush=True)

    http.server.ThreadingHTTPServer((host, int(port)), H).serve_forever()


if __name__ == "__main__":
    main()
