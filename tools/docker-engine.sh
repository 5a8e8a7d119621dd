#!/usr/bin/env bash
# Make sure a Docker engine answers; install Debian's docker.io and start dockerd if none does.
# Safe to run concurrently: a lock keeps a second caller from starting a second daemon.
set -euo pipefail

engine_answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

if engine_answers; then exit 0; fi

if ! command -v dockerd >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "No Docker engine answers and dockerd is not installed; install Docker (or run as root on Debian)." >&2
    exit 1
  fi
  echo "== installing Debian's docker.io"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq docker.io >/dev/null
fi

lock=/run/tda-dockerd.lock
exec 9>"$lock"
flock 9
if ! engine_answers; then
  echo "== starting dockerd"
  # fd 9 is closed for dockerd so the daemon does not hold our lock forever
  nohup dockerd >/var/log/tda-dockerd.log 2>&1 9>&- &
  for _ in $(seq 1 60); do
    engine_answers && break
    sleep 1
  done
fi
flock -u 9
if ! engine_answers; then
  echo "dockerd did not answer within 60 s; see /var/log/tda-dockerd.log" >&2
  exit 1
fi
echo "== docker engine $(docker version --format '{{.Server.Version}}')"
