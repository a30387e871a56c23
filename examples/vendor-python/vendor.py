"""An assessment vendor behind the ats-connect gateway, in Python's standard
library only: verifies each event's Standard Webhooks signature, accepts
orders, and reports a completed result a moment later through the REST API.

    ATS_VENDOR_SIGNING_SECRET=whsec_... ATS_API_URL=http://127.0.0.1:8080 \
    ATS_API_KEY=... PORT=9000 python3 vendor.py
"""
import base64, hashlib, hmac, json, os, threading, time, urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

SECRET = base64.b64decode(os.environ["ATS_VENDOR_SIGNING_SECRET"].removeprefix("whsec_"))
API_URL = os.environ["ATS_API_URL"].rstrip("/")
API_KEY = os.environ["ATS_API_KEY"]
DELAY = float(os.environ.get("VENDOR_GRADING_SECONDS", "1"))
COMPLETED_AT = os.environ.get("VENDOR_COMPLETED_AT")  # fixed time, for reproducible runs
PACKAGES = [{"id": "pkg-rust-senior", "name": "Rust (senior)", "kind": "coding"},
            {"id": "6f0d3c1e-8a52-4c1b-9b8e-2f4a7d9e1c01", "name": "SQL basics", "kind": "skills"}]


def verified(headers, body):
    """Standard Webhooks: HMAC-SHA256 of "id.timestamp.body", base64, "v1," prefix."""
    msg_id, ts, sigs = (headers.get(h, "") for h in
                        ("webhook-id", "webhook-timestamp", "webhook-signature"))
    if not ts.isdigit() or abs(time.time() - int(ts)) > 300:
        return False
    mac = hmac.new(SECRET, f"{msg_id}.{ts}.".encode() + body, hashlib.sha256).digest()
    expected = base64.b64encode(mac).decode()
    return any(hmac.compare_digest(s.partition(",")[2], expected)
               for s in sigs.split() if s.startswith("v1,"))


CANCELLED = set()  # assessment ids the ATS withdrew: no result goes back


def report(assessment_id):
    """Grades the candidate, then reports the result to the gateway."""
    time.sleep(DELAY)
    if assessment_id in CANCELLED:
        print(f"not reporting {assessment_id}: cancelled", flush=True)
        return
    result = {"status": "completed", "score": {"value": 81, "max": 100}, "passed": True,
              "report_url": f"https://quiz.example.com/reports/{assessment_id}",
              "summary": "Strong on ownership; async needs practice.",
              "completed_at": COMPLETED_AT or time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    request = urllib.request.Request(
        f"{API_URL}/api/v1/orders/{assessment_id}/result", method="POST",
        data=json.dumps(result).encode(),
        headers={"Authorization": f"Bearer {API_KEY}", "Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=10) as answer:
        print(f"reported {assessment_id}: HTTP {answer.status}", flush=True)


def answer(event):
    kind, gateway = event["type"], event.get("gateway", {})
    if kind == "packages_requested":
        return {"type": "packages", "packages": PACKAGES}
    if kind == "order_received":
        # sync: we mint the id; async: the gateway minted it and sent it along
        assessment_id = gateway.get("vendor_assessment_id") or "py-" + hashlib.sha256(
            json.dumps(event, sort_keys=True).encode()).hexdigest()[:12]
        if event["package_id"] not in {p["id"] for p in PACKAGES}:
            return {"type": "rejected", "reason": "unknown_package",
                    "message": f"No test called {event['package_id']}."}
        threading.Thread(target=report, args=(assessment_id,), daemon=True).start()
        return {"type": "accepted", "vendor_assessment_id": assessment_id,
                "candidate_url": f"https://quiz.example.com/take/{assessment_id}"}
    if kind == "order_cancelled":
        # the gateway names your id even when the ATS named only its own
        CANCELLED.add(event["order"].get("vendor_assessment_id"))
        return {"type": "acknowledged"}
    if kind == "status_requested":
        return {"type": "status", "status": "invited"}
    return {"type": "acknowledged"}  # error_reported


class Events(BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        if not verified(self.headers, body):
            self.send_response(401)
            self.end_headers()
            return
        reply = json.dumps(answer(json.loads(body))).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *args):
        pass


if __name__ == "__main__":
    server = ThreadingHTTPServer(("127.0.0.1", int(os.environ.get("PORT", "9000"))), Events)
    print(f"vendor listening on {server.server_address[1]}", flush=True)
    server.serve_forever()
