"""The design document's backend/monitoring/metrics.py, as it writes it, with its defects corrected.

Each correction is marked `seed deviation N` and listed in docs/seed-deviations.md (section
"The TDA API's metrics module"). Names, labels and buckets are the design document's.
"""
import asyncio
import os
import re
import time

import psutil
from prometheus_client import Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.core import CollectorRegistry

# Create custom registry for TDA metrics
TDA_REGISTRY = CollectorRegistry()

# API Metrics
TDA_API_REQUESTS_TOTAL = Counter(
    'tda_api_requests_total',
    'Total number of API requests',
    ['method', 'endpoint', 'status'],
    registry=TDA_REGISTRY
)

TDA_API_REQUEST_DURATION = Histogram(
    'tda_api_request_duration_seconds',
    'API request duration',
    ['method', 'endpoint'],
    buckets=[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0],
    registry=TDA_REGISTRY
)

# TDA Computation Metrics
TDA_COMPUTATION_TOTAL = Counter(
    'tda_computation_total',
    'Total TDA computations',
    ['algorithm', 'dimension'],
    registry=TDA_REGISTRY
)

TDA_COMPUTATION_DURATION = Histogram(
    'tda_computation_duration_seconds',
    'TDA computation duration',
    ['algorithm', 'dimension'],
    buckets=[0.1, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0],
    registry=TDA_REGISTRY
)

TDA_COMPUTATION_ERRORS = Counter(
    'tda_computation_errors_total',
    'Total TDA computation errors',
    ['algorithm', 'error_type'],
    registry=TDA_REGISTRY
)

TDA_COMPUTATION_POINTS_PROCESSED = Histogram(
    'tda_computation_points_processed',
    'Number of points processed in TDA computation',
    ['algorithm'],
    buckets=[10, 50, 100, 500, 1000, 5000, 10000, 50000, 100000],
    registry=TDA_REGISTRY
)

# Business Metrics
TDA_ACTIVE_USERS = Gauge(
    'tda_active_users',
    'Number of active users',
    registry=TDA_REGISTRY
)

TDA_JOBS_QUEUED = Gauge(
    'tda_jobs_queued',
    'Number of jobs in queue',
    ['status'],
    registry=TDA_REGISTRY
)

TDA_DATA_UPLOADED_BYTES = Counter(
    'tda_data_uploaded_bytes_total',
    'Total bytes of data uploaded',
    ['file_type'],
    registry=TDA_REGISTRY
)

# Kafka Metrics
TDA_KAFKA_MESSAGES_PRODUCED = Counter(
    'tda_kafka_messages_produced_total',
    'Total Kafka messages produced',
    ['topic', 'status'],
    registry=TDA_REGISTRY
)

TDA_KAFKA_PRODUCER_LATENCY = Histogram(
    'tda_kafka_producer_latency_seconds',
    'Kafka producer latency',
    ['topic'],
    buckets=[0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0],
    registry=TDA_REGISTRY
)

# Application Info
TDA_APP_INFO = Info(
    'tda_app',
    'TDA application information',
    registry=TDA_REGISTRY
)

# System Resource Metrics
TDA_MEMORY_USAGE = Gauge(
    'tda_memory_usage_bytes',
    'Memory usage in bytes',
    ['type'],  # rss, vms (seed deviation 7: the design document's comment said heap, non_heap, total)
    registry=TDA_REGISTRY
)

TDA_CPU_USAGE = Gauge(
    'tda_cpu_usage_percent',
    'CPU usage percentage',
    registry=TDA_REGISTRY
)

# seed deviation 3: compiled once, not on every request; /api/vN keeps its version
ENDPOINT_PATTERNS = [
    (re.compile(r'/jobs/[^/]+'), '/jobs/{job_id}'),
    (re.compile(r'/data/[^/]+'), '/data/{file_id}'),
    (re.compile(r'/users/[^/]+'), '/users/{user_id}'),
]
# seed deviation 3: a path no route matched (a scanner's, a typo) is one label value, not one series per URL
UNMATCHED_ENDPOINT = 'unmatched'
# seed deviation 5: Prometheus's own scrapes are not API traffic (they diluted the error ratio)
UNMEASURED_PATHS = {'/metrics'}


class MetricsCollector:
    """Centralized metrics collection and management."""

    def __init__(self):
        self.start_time = time.time()
        # seed deviation 6: one Process, so cpu_percent() measures since the last call (a new one always says 0.0)
        self.process = psutil.Process()
        self.request_in_progress = Gauge(
            'tda_requests_in_progress',
            'Requests currently being processed',
            registry=TDA_REGISTRY
        )

        # Set application info (seed deviation 7: the environment from the deployment, not a constant)
        TDA_APP_INFO.info({
            'version': '1.0.0',
            'python_version': '3.11',
            'environment': os.environ.get('TDA_ENVIRONMENT', 'production')
        })

    def record_request(self, method: str, endpoint: str, status: str, duration: float):
        """Record API request metrics."""
        TDA_API_REQUESTS_TOTAL.labels(
            method=method,
            endpoint=endpoint,
            status=status
        ).inc()

        TDA_API_REQUEST_DURATION.labels(
            method=method,
            endpoint=endpoint
        ).observe(duration)

    def record_computation(
        self,
        algorithm: str,
        dimension: int,
        duration: float,
        points_count: int,
        success: bool = True,
        error_type: str = None
    ):
        """Record TDA computation metrics."""
        TDA_COMPUTATION_TOTAL.labels(
            algorithm=algorithm,
            dimension=str(dimension)
        ).inc()

        TDA_COMPUTATION_DURATION.labels(
            algorithm=algorithm,
            dimension=str(dimension)
        ).observe(duration)

        TDA_COMPUTATION_POINTS_PROCESSED.labels(
            algorithm=algorithm
        ).observe(points_count)

        if not success and error_type:
            TDA_COMPUTATION_ERRORS.labels(
                algorithm=algorithm,
                error_type=error_type
            ).inc()

    def record_kafka_message(self, topic: str, success: bool, latency: float):
        """Record Kafka message metrics."""
        status = "success" if success else "error"
        TDA_KAFKA_MESSAGES_PRODUCED.labels(
            topic=topic,
            status=status
        ).inc()

        TDA_KAFKA_PRODUCER_LATENCY.labels(
            topic=topic
        ).observe(latency)

    def record_file_upload(self, file_type: str, size_bytes: int):
        """Record file upload metrics."""
        TDA_DATA_UPLOADED_BYTES.labels(
            file_type=file_type
        ).inc(size_bytes)

    def update_system_metrics(self):
        """Update system resource metrics."""
        # Memory metrics
        memory_info = self.process.memory_info()
        TDA_MEMORY_USAGE.labels(type="rss").set(memory_info.rss)
        TDA_MEMORY_USAGE.labels(type="vms").set(memory_info.vms)

        # CPU metrics
        cpu_percent = self.process.cpu_percent()
        TDA_CPU_USAGE.set(cpu_percent)

    async def start_background_collection(self, interval: float = 30):
        """Start background metrics collection."""
        while True:
            try:
                self.update_system_metrics()
                await asyncio.sleep(interval)  # Update every 30 seconds
            except Exception as e:
                print(f"Error updating system metrics: {e}")
                await asyncio.sleep(60)  # Wait longer on error


# Global metrics instance
metrics = MetricsCollector()


def get_metrics_content() -> str:
    """Get Prometheus metrics content."""
    return generate_latest(TDA_REGISTRY).decode('utf-8')


# Middleware for request metrics
class MetricsMiddleware:
    """FastAPI middleware for automatic metrics collection."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http" or scope["path"] in UNMEASURED_PATHS:
            await self.app(scope, receive, send)
            return

        # Extract request info
        method = scope["method"]
        path = scope["path"]

        # Track request start (seed deviation 2: a monotonic clock; wall-clock steps made durations negative)
        start_time = time.perf_counter()
        metrics.request_in_progress.inc()

        # Process request. seed deviation 1: the design document started from 200, so an endpoint
        # that raised before responding was counted a success while the server error handler
        # outside this middleware sent a 500 - invisible to the 5xx alerts. A request that ends
        # without a response start is a 500.
        status_code = 500

        async def send_wrapper(message):
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            # Record metrics
            duration = time.perf_counter() - start_time
            metrics.record_request(
                method=method,
                endpoint=self._normalize_endpoint(path, scope),
                status=str(status_code),
                duration=duration
            )
            metrics.request_in_progress.dec()

    def _normalize_endpoint(self, path: str, scope=None) -> str:
        """Normalize endpoint path for metrics."""
        # seed deviation 3: the router puts the matched endpoint into the scope; without one the
        # path is not the API's
        if scope is not None and "endpoint" not in scope:
            return UNMATCHED_ENDPOINT
        normalized = path
        for pattern, replacement in ENDPOINT_PATTERNS:
            normalized = pattern.sub(replacement, normalized)
        return normalized
