"""Steady traffic for the lab's TDA API (lab-only): real HTTP requests at a fixed rate, so the
API's metrics come from its own middleware, as in production.

    python3 tda_api_traffic.py --url http://127.0.0.1:8000 --rps 5
"""
import argparse
import json
import random
import time
import urllib.error
import urllib.request


def call(url, method="GET", body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as answer:
            return json.loads(answer.read() or b"null")
    except (urllib.error.URLError, OSError, ValueError):
        return None  # errors are what the API's metrics count; the traffic goes on


def one_request(base, rng, job_ids):
    kind = rng.choice(["compute", "compute", "job", "upload", "health"])
    if kind == "compute":
        dimension = rng.choice([2, 3])
        points = [[rng.random() for axis in range(dimension)] for point in range(rng.choice([20, 60, 150]))]
        answer = call(base + "/api/v1/tda/compute/vietoris-rips", "POST",
                      {"point_cloud": {"points": points, "dimension": dimension},
                       "parameters": {"max_dimension": 1, "max_edge_length": 0.3},
                       "user": "user-%02d" % rng.randrange(30)})
        if answer and "job_id" in answer:
            job_ids.append(answer["job_id"])
            del job_ids[:-50]
    elif kind == "job":
        call(base + "/api/v1/jobs/" + (rng.choice(job_ids) if job_ids else "job-000000"))
    elif kind == "upload":
        call(base + "/api/v1/data/%s?size_bytes=%d" % (rng.choice(["csv", "json", "npy"]), rng.randint(1000, 90000)),
             "POST")
    else:
        call(base + "/health")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--rps", type=float, default=5.0)
    args = parser.parse_args()
    rng, job_ids = random.Random(), []
    while True:
        started = time.monotonic()
        one_request(args.url.rstrip("/"), rng, job_ids)
        time.sleep(max(0.0, 1.0 / args.rps - (time.monotonic() - started)))


if __name__ == "__main__":
    main()
