"""A tiny HTTP service answering with a sum of squares computed by the C extension."""

from http.server import BaseHTTPRequestHandler, HTTPServer

from fastsum import sum_squares


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = f"{sum_squares(1000)}\n".encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    print("fastsum ready", sum_squares(10), flush=True)
    HTTPServer(("", 8000), Handler).serve_forever()
