#!/usr/bin/env bash
# The lab: `up` creates the hosts of inventories/lab as systemd containers on the network
# tda-lab, deploys site.yml to them and prints what runs where; `down` removes the lab's
# containers and network and nothing else.
set -euo pipefail
# an inventory that does not parse stops the lab instead of matching no hosts
export ANSIBLE_INVENTORY_UNPARSED_FAILED=true
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"

network=tda-lab
prefix=tda-lab-
# the base image with the monitored services installed, disabled (tools/images.sh)
image_for() { echo "tda-services:${LAB_PLATFORM:-debian12}"; }

lab_hosts_json() {
  ansible-inventory -i inventories/lab --list 2>/dev/null | python -c '
import json, sys
inv = json.load(sys.stdin)
hostvars = inv.get("_meta", {}).get("hostvars", {})
for name in sorted(hostvars):
    print(name, ",".join(hostvars[name].get("lab_publish", [])) or "-", ",".join(hostvars[name].get("lab_mounts", [])) or "-")
'
}

down() {
  local ids
  ids=$(docker ps -aq --filter "label=tda.lab=1")
  [ -z "$ids" ] || xargs docker rm -f <<<"$ids" >/dev/null
  docker network rm "$network" >/dev/null 2>&1 || true
  echo "== lab removed (containers labelled tda.lab=1, network $network)"
}

create_host() {  # name publish-list|- mount-list|- (mounts: CACHE_PATH:CONTAINER_PATH, read-only, CACHE_PATH under $TDA_CACHE)
  local name=$1 publish=${2:--} mounts=${3:--} container=$prefix$1 spec args=()
  [ "$publish" != - ] || publish=
  [ "$mounts" != - ] || mounts=
  spec=$(printf '%s|%s|%s' "$(image_for)" "$publish" "$mounts" | sha256sum | cut -c1-12)
  if [ "$(docker inspect -f '{{index .Config.Labels "tda.lab.spec"}}' "$container" 2>/dev/null)" = "$spec" ]; then
    [ "$(docker inspect -f '{{.State.Running}}' "$container")" = true ] || docker start "$container" >/dev/null
    return
  fi
  docker rm -f "$container" >/dev/null 2>&1 || true
  IFS=, read -ra ports <<<"$publish"
  for p in "${ports[@]}"; do
    [ -n "$p" ] || continue
    case $p in 127.0.0.1:*) ;; *) echo "lab_publish of $name must bind 127.0.0.1: $p" >&2; exit 1 ;; esac
    args+=(-p "$p")
  done
  IFS=, read -ra volumes <<<"$mounts"
  for m in "${volumes[@]}"; do
    [ -n "$m" ] || continue
    args+=(-v "$TDA_CACHE/${m%%:*}:${m#*:}:ro")
  done
  # systemd as PID 1 without --privileged (see ../shared/docs/testbed.md)
  docker run -d --name "$container" --hostname "$name" --network "$network" \
    --label tda.lab=1 --label "tda.lab.spec=$spec" \
    --cap-add SYS_ADMIN --cap-add NET_ADMIN --security-opt seccomp=unconfined \
    --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw --tmpfs /run --tmpfs /run/lock \
    --stop-signal SIGRTMIN+3 "${args[@]}" "$(image_for)" /lib/systemd/systemd >/dev/null
  echo "   created $container"
}

wait_systemd() {
  local container=$prefix$1 state
  for _ in $(seq 1 60); do
    state=$(docker exec "$container" systemctl is-system-running 2>/dev/null || true)
    case $state in running|degraded) return 0 ;; esac
    sleep 0.5
  done
  echo "systemd in $container did not come up (state: $state)" >&2
  return 1
}

summary() {
  local prom=https://127.0.0.1:19090 ca=.cache/pki/lab/ca.crt admin password
  admin=$(sed -n 's/^tda_web_admin_user: *//p' playbooks/group_vars/all.yml)
  password=$(sed -n 's/^vault_tda_web_admin_password: *//p' inventories/lab/group_vars/all/vault.yml)
  echo
  echo "== lab: URLs (published on 127.0.0.1 only). TLS from the lab's internal CA ($ca) and basic auth:"
  echo "   sign in as $admin / $password (tda_web_admin_user; vault_tda_web_admin_password of inventories/lab's vault.yml)"
  echo "   e.g. curl --cacert $ca -u $admin:$password $prom/api/v1/targets"
  echo "   Prometheus    $prom   (classic UI: $prom/classic/targets)   the HA pair's second: https://127.0.0.1:19190"
  echo "   Alertmanager  https://127.0.0.1:19093   the cluster's second: https://127.0.0.1:19193 (the third, on pg1, is not published)"
  echo "   store         https://127.0.0.1:19428/vmui   (VictoriaMetrics; its query and write APIs want tda_remote_write_username"
  echo "                 of inventories/lab/group_vars/all/main.yml and vault_tda_remote_write_password of vault.yml there)"
  echo "   sink          http://127.0.0.1:19099/records   (the lab's stand-in receivers: what Slack, PagerDuty, the watchdog and email received)"
  echo "   TDA API       http://127.0.0.1:19801/metrics  http://127.0.0.1:19802/metrics   (the design document's FastAPI app, plain http)"
  echo "   Flink         http://127.0.0.1:19881   (the JobManager's REST API and web UI, plain http; its job: tda-lab-datagen)"
  echo "   (Grafana, Kafka, cAdvisor: not in the lab, no binaries can be obtained here)"
  python3 "$TDA_ROOT/lab/status.py" "$prom"
  echo "== trigger a fault (alerts reach the sink: curl -s http://127.0.0.1:19099/records)"
  echo "   TDAAPIDown            docker exec tda-lab-api1 systemctl stop tda-api        (start it again to resolve)"
  echo "   TDAAPIHighErrorRate   curl -X POST http://127.0.0.1:19801/admin/faults -d '{\"error_ratio\": 0.5}'   ('{}' heals)"
  echo "   TDAAPIHighLatency     curl -X POST http://127.0.0.1:19801/admin/faults -d '{\"latency_seconds\": 3}'"
  echo "   (raised exceptions)   curl -X POST http://127.0.0.1:19801/admin/faults -d '{\"exception_ratio\": 0.5}'   (counted as 500s)"
  echo "   PostgreSQLDown        docker exec tda-lab-pg1 systemctl stop postgresql"
  echo "Remove the lab with: make lab-down"
}

hosts() {  # the containers and the lab's own services, without site.yml (bench/lab.py times that)
  bash tools/docker-engine.sh
  bash tools/images.sh "${LAB_PLATFORM:-debian12}"
  # Flink's jars from PyPI, mounted into the Flink hosts (lab_mounts)
  bash tools/flink-dist.sh 2.3.0
  docker network inspect "$network" >/dev/null 2>&1 ||
    docker network create --label tda.lab=1 "$network" >/dev/null
  echo "== lab hosts"
  mapfile -t hosts < <(lab_hosts_json)
  for line in "${hosts[@]}"; do read -r -a fields <<<"$line"; create_host "${fields[@]}"; done
  for line in "${hosts[@]}"; do wait_systemd "${line%% *}"; done
  echo "== ansible-playbook -i inventories/lab lab/services.yml (the lab's services and the sink)"
  ansible-playbook -i inventories/lab lab/services.yml
}

up() {
  local start
  start=$(date +%s)
  hosts
  echo "== ansible-playbook -i inventories/lab site.yml"
  ansible-playbook -i inventories/lab site.yml "$@"
  echo "== ansible-playbook -i inventories/lab lab/flink-job.yml (the lab's streaming job on Flink)"
  ansible-playbook -i inventories/lab lab/flink-job.yml
  echo "== lab up (hosts, services, site.yml) took $(( $(date +%s) - start )) s"
  summary
}

case ${1:-up} in
  up) shift || true; up "$@" ;;
  hosts) hosts ;;
  down) down ;;
  summary) summary ;;
  *) echo "usage: $0 up|hosts|down|summary" >&2; exit 2 ;;
esac
