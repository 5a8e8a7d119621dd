"""The design document's backend/main.py - its FastAPI integration of the metrics module - with
the lab's endpoints and fault injection (lab-only: the lab has no TDA service or Kafka behind it).

The seed's parts are kept as it writes them (corrections marked `seed deviation N`, listed in
docs/seed-deviations.md). Run by the lab under Debian 12's uvicorn:
    python3 -m uvicorn backend.main:app --app-dir /opt/tda-api --host 0.0.0.0 --port 8000
Faults, for the alert journeys:
    curl -X POST http://HOST:8000/admin/faults -d '{"error_ratio": 0.5, "latency_seconds": 1.5, "exception_ratio": 0.2}'
    curl -X POST http://HOST:8000/admin/faults -d '{}'          # back to healthy
"""
import asyncio
import json
import random
import time  # seed deviation 4: health_check used time without importing it (every /health was a 500)
from typing import Dict, List

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.responses import JSONResponse, PlainTextResponse
from pydantic import BaseModel

from .monitoring.metrics import (TDA_ACTIVE_USERS, TDA_JOBS_QUEUED, MetricsMiddleware, get_metrics_content,
                                 metrics)

app = FastAPI(title="TDA Platform Backend")

# Add metrics middleware
app.add_middleware(MetricsMiddleware)


@app.on_event("startup")
async def startup_event():
    """Start background metrics collection."""
    asyncio.create_task(metrics.start_background_collection(interval=5))
    asyncio.create_task(jobs.run())


@app.get("/metrics", response_class=PlainTextResponse)
async def get_metrics():
    """Prometheus metrics endpoint."""
    return get_metrics_content()


@app.get("/health")
async def health_check():
    """Health check endpoint."""
    return {
        "status": "healthy",
        "timestamp": time.time(),
        "version": "1.0.0"
    }


# production probes the versioned path as well (inventories/production: tda_probe_targets)
@app.get("/api/v1/health")
async def versioned_health_check():
    return await health_check()


# --- the lab's part: fault injection, a job queue and users, and the endpoints the traffic uses

class Faults(BaseModel):
    error_ratio: float = 0.0
    latency_seconds: float = 0.0
    exception_ratio: float = 0.0


FAULTS = Faults()


class InjectedFault(RuntimeError):
    """Raised by an endpoint when the lab asks for exceptions."""


def maybe_raise():
    """An exception, before any response starts, as often as the lab asks."""
    if random.random() < FAULTS.exception_ratio:
        raise InjectedFault("injected by the lab")


async def apply_faults():
    """Each API endpoint's faults: a delay, then a 500 answered; exceptions are raised where the
    endpoint works (the computation raises them inside, so they are its errors too)."""
    if FAULTS.latency_seconds:
        await asyncio.sleep(FAULTS.latency_seconds)
    if random.random() < FAULTS.error_ratio:
        raise HTTPException(status_code=500, detail="injected by the lab")


@app.post("/admin/faults")
async def set_faults(request: Request):
    """The body is JSON whatever its content type says, so a bare `curl -d` works."""
    global FAULTS
    try:
        FAULTS = Faults(**json.loads(await request.body() or b"{}"))
    except (ValueError, TypeError) as exc:
        return JSONResponse({"detail": "expected JSON with error_ratio, latency_seconds, exception_ratio: %s" % exc},
                            status_code=400)
    return FAULTS


class Jobs:
    """Submitted computations: pending, then running, then done, as tda_jobs_queued shows them."""

    def __init__(self):
        self.states: Dict[str, str] = {}
        self.users: Dict[str, float] = {}

    def submit(self, user: str) -> str:
        job_id = "job-%06d" % random.randrange(10 ** 6)
        self.states[job_id] = "pending"
        self.users[user] = time.time()
        return job_id

    async def run(self):
        while True:
            for job_id, state in list(self.states.items()):
                self.states[job_id] = {"pending": "running", "running": "done"}.get(state, state)
            done = [job_id for job_id, state in self.states.items() if state == "done"]
            for job_id in done[:-500]:
                del self.states[job_id]
            for state in ("pending", "running"):
                TDA_JOBS_QUEUED.labels(status=state).set(sum(1 for s in self.states.values() if s == state))
            recent = time.time() - 300
            self.users = {user: seen for user, seen in self.users.items() if seen > recent}
            TDA_ACTIVE_USERS.set(len(self.users))
            await asyncio.sleep(2)


jobs = Jobs()


class PointCloud(BaseModel):
    points: List[List[float]]
    dimension: int


class Parameters(BaseModel):
    max_dimension: int = 1
    max_edge_length: float = 1.0


class ComputationRequest(BaseModel):
    point_cloud: PointCloud
    parameters: Parameters = Parameters()
    user: str = "anonymous"


async def compute_vietoris_rips(point_cloud, max_dimension, max_edge_length):
    """The edges of the Vietoris-Rips complex at max_edge_length (the lab's stand-in for the TDA service)."""
    maybe_raise()
    edges = sum(1 for i, a in enumerate(point_cloud) for b in point_cloud[i + 1:]
                if sum((x - y) ** 2 for x, y in zip(a, b)) <= max_edge_length ** 2)
    return {"edges": edges, "max_dimension": max_dimension}


# Example usage in computation endpoint (the design document's, with the lab's faults)
@app.post("/api/v1/tda/compute/vietoris-rips", dependencies=[Depends(apply_faults)])
async def compute(request: ComputationRequest):
    start_time = time.perf_counter()

    try:
        # Perform computation
        result = await compute_vietoris_rips(
            point_cloud=request.point_cloud.points,
            **request.parameters.dict()
        )

        # Record successful computation
        duration = time.perf_counter() - start_time
        metrics.record_computation(
            algorithm="vietoris_rips",
            dimension=request.point_cloud.dimension,
            duration=duration,
            points_count=len(request.point_cloud.points),
            success=True
        )

        return dict(result, job_id=jobs.submit(request.user))

    except Exception as e:
        # Record failed computation
        duration = time.perf_counter() - start_time
        metrics.record_computation(
            algorithm="vietoris_rips",
            dimension=request.point_cloud.dimension,
            duration=duration,
            points_count=len(request.point_cloud.points),
            success=False,
            error_type=type(e).__name__
        )
        raise


@app.get("/api/v1/jobs/{job_id}", dependencies=[Depends(apply_faults)])
async def job_status(job_id: str):
    maybe_raise()
    if job_id not in jobs.states:
        return JSONResponse({"detail": "no such job"}, status_code=404)
    return {"job_id": job_id, "status": jobs.states[job_id]}


@app.post("/api/v1/data/{file_type}", dependencies=[Depends(apply_faults)])
async def upload(file_type: str, size_bytes: int = 1024):
    maybe_raise()
    metrics.record_file_upload(file_type, size_bytes)
    # the lab has no Kafka: the job event's publication is timed as a no-op and counted
    started = time.perf_counter()
    await asyncio.sleep(0)
    metrics.record_kafka_message("tda-jobs", True, time.perf_counter() - started)
    return {"file_type": file_type, "size_bytes": size_bytes}
