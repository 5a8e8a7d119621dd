"""A small stand-in for the TDA API in the lab (lab-only; not part of the collection's roles).

It exposes the application metrics of the design document's Python module
(backend/monitoring/metrics.py) with the same names, labels and buckets, under its own
registry at /metrics, and serves a few endpoints. A background loop plays steady traffic into
the same metrics, so rates exist without a load generator. Faults are injected over HTTP:

    curl -X POST http://HOST:8000/admin/faults -d '{"error_ratio": 0.5, "latency_seconds": 1.5}'
    curl -X POST http://HOST:8000/admin/faults -d '{}'          # back to healthy

Run with Debian's python3-prometheus-client and python3-psutil:
    python3 tda_demo_api.py --port 8000 --rps 5
"""
import argparse
import json
import random
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import psutil
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest

TDA_REGISTRY = CollectorRegistry()
# names, labels and buckets as in the design document's metrics.py
TDA_API_REQUESTS_TOTAL = Counter("tda_api_requests_total", "Total number of API requests",
                                 ["method", "endpoint", "status"], registry=TDA_REGISTRY)
TDA_API_REQUEST_DURATION = Histogram("tda_api_request_duration_seconds", "API request duration",
                                     ["method", "endpoint"],
                                     buckets=[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
                                     registry=TDA_REGISTRY)
TDA_COMPUTATION_TOTAL = Counter("tda_computation_total", "Total TDA computations", ["algorithm", "dimension"],
                                registry=TDA_REGISTRY)
TDA_COMPUTATION_DURATION = Histogram("tda_computation_duration_seconds", "TDA computation duration",
                                     ["algorithm", "dimension"],
                                     buckets=[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0],
                                     registry=TDA_REGISTRY)
TDA_COMPUTATION_ERRORS = Counter("tda_computation_errors_total", "Total TDA computation errors",
                                 ["algorithm", "error_type"], registry=TDA_REGISTRY)
TDA_COMPUTATION_POINTS_PROCESSED = Histogram("tda_computation_points_processed",
                                             "Number of points processed in TDA computation", ["algorithm"],
                                             buckets=[10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000],
                                             registry=TDA_REGISTRY)
TDA_ACTIVE_USERS = Gauge("tda_active_users", "Number of active users", registry=TDA_REGISTRY)
TDA_JOBS_QUEUED = Gauge("tda_jobs_queued", "Number of jobs in queue", ["status"], registry=TDA_REGISTRY)
TDA_DATA_UPLOADED_BYTES = Counter("tda_data_uploaded_bytes_total", "Total bytes of data uploaded", ["file_type"],
                                  registry=TDA_REGISTRY)
TDA_KAFKA_MESSAGES_PRODUCED = Counter("tda_kafka_messages_produced_total", "Total Kafka messages produced",
                                      ["topic", "status"], registry=TDA_REGISTRY)
TDA_KAFKA_PRODUCER_LATENCY = Histogram("tda_kafka_producer_latency_seconds", "Kafka producer latency", ["topic"],
                                       buckets=[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
                                       registry=TDA_REGISTRY)
TDA_APP_INFO = Info("tda_app", "TDA application information", registry=TDA_REGISTRY)
TDA_MEMORY_USAGE = Gauge("tda_memory_usage_bytes", "Memory usage in bytes", ["type"], registry=TDA_REGISTRY)
TDA_CPU_USAGE = Gauge("tda_cpu_usage_percent", "CPU usage percentage", registry=TDA_REGISTRY)
TDA_REQUESTS_IN_PROGRESS = Gauge("tda_requests_in_progress", "Requests currently being processed",
                                 registry=TDA_REGISTRY)

ENDPOINTS = ["/api/v1/health", "/api/v1/compute", "/api/v1/upload", "/api/v1/jobs"]
ALGORITHMS = ["vietoris_rips", "alpha_complex", "cech"]
FAULTS = {"error_ratio": 0.0, "latency_seconds": 0.0}
FAULTS_LOCK = threading.Lock()


def faults():
    with FAULTS_LOCK:
        return dict(FAULTS)


def record_request(method, endpoint, status, duration):
    TDA_API_REQUESTS_TOTAL.labels(method=method, endpoint=endpoint, status=str(status)).inc()
    TDA_API_REQUEST_DURATION.labels(method=method, endpoint=endpoint).observe(duration)


def simulated_request(rng):
    """One request of the background traffic: its status and duration follow the faults."""
    current = faults()
    endpoint = rng.choice(ENDPOINTS)
    status = 500 if rng.random() < current["error_ratio"] else 200
    record_request("GET", endpoint, status, current["latency_seconds"] + rng.uniform(0.005, 0.08))
    if endpoint == "/api/v1/compute":
        algorithm = rng.choice(ALGORITHMS)
        dimension = str(rng.choice([1, 2, 3]))
        TDA_COMPUTATION_TOTAL.labels(algorithm=algorithm, dimension=dimension).inc()
        TDA_COMPUTATION_DURATION.labels(algorithm=algorithm, dimension=dimension).observe(rng.uniform(0.2, 4.0))
        TDA_COMPUTATION_POINTS_PROCESSED.labels(algorithm=algorithm).observe(rng.choice([80, 400, 2000, 9000]))
        if status == 500:
            TDA_COMPUTATION_ERRORS.labels(algorithm=algorithm, error_type="injected").inc()
    elif endpoint == "/api/v1/upload":
        TDA_DATA_UPLOADED_BYTES.labels(file_type=rng.choice(["csv", "json", "npy"])).inc(rng.randint(1000, 90000))
        TDA_KAFKA_MESSAGES_PRODUCED.labels(topic="tda-jobs", status="error" if status == 500 else "success").inc()
        TDA_KAFKA_PRODUCER_LATENCY.labels(topic="tda-jobs").observe(rng.uniform(0.002, 0.04))


def background(rps, stop):
    rng = random.Random()
    process = psutil.Process()
    next_system_update = 0.0
    while not stop.is_set():
        simulated_request(rng)
        now = time.time()
        if now >= next_system_update:
            memory = process.memory_info()
            TDA_MEMORY_USAGE.labels(type="rss").set(memory.rss)
            TDA_MEMORY_USAGE.labels(type="vms").set(memory.vms)
            TDA_CPU_USAGE.set(process.cpu_percent())
            TDA_ACTIVE_USERS.set(rng.randint(20, 40))
            for state in ("pending", "running"):
                TDA_JOBS_QUEUED.labels(status=state).set(rng.randint(0, 5))
            next_system_update = now + 5
        stop.wait(1.0 / rps)


class Handler(BaseHTTPRequestHandler):
    def _send(self, status, body, content_type="application/json"):
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self):  # noqa: N802 (http.server's naming)
        if self.path == "/metrics":
            self._send(200, generate_latest(TDA_REGISTRY), "text/plain; version=0.0.4")
            return
        start, status = time.time(), 500
        TDA_REQUESTS_IN_PROGRESS.inc()
        try:
            current = faults()
            if current["latency_seconds"]:
                time.sleep(current["latency_seconds"])
            if self.path not in ENDPOINTS:
                status = 404
            else:
                status = 500 if random.random() < current["error_ratio"] else 200
            self._send(status, {"status": "ok" if status == 200 else "error", "path": self.path})
        finally:
            TDA_REQUESTS_IN_PROGRESS.dec()
            record_request("GET", self.path if self.path in ENDPOINTS else "other", status, time.time() - start)

    def do_POST(self):  # noqa: N802
        if self.path != "/admin/faults":
            self._send(404, {"error": "not found"})
            return
        try:
            asked = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            update = {"error_ratio": float(asked.get("error_ratio", 0.0)),
                      "latency_seconds": float(asked.get("latency_seconds", 0.0))}
        except (ValueError, TypeError) as exc:
            self._send(400, {"error": "expected JSON with error_ratio and latency_seconds: %s" % exc})
            return
        with FAULTS_LOCK:
            FAULTS.update(update)
        self._send(200, faults())

    def log_message(self, *args):
        pass


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--address", default="0.0.0.0")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--rps", type=float, default=5.0, help="background requests per second")
    args = parser.parse_args()
    TDA_APP_INFO.info({"version": "1.0.0", "python_version": "3.11", "environment": "lab"})
    stop = threading.Event()
    threading.Thread(target=background, args=(args.rps, stop), daemon=True).start()
    ThreadingHTTPServer((args.address, args.port), Handler).serve_forever()


if __name__ == "__main__":
    main()
