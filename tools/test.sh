#!/usr/bin/env bash
# The whole test suite: ansible-lint (production profile), ansible-test sanity, unit tests,
# then every enabled Molecule scenario on its platforms. `tools/test.sh SCENARIO` runs one
# scenario only. Ends with a table of results and times; exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT" || exit 2

only=${1:-}
suite_start=$(date +%s)
logs=artifacts/test-logs
mkdir -p "$logs"
rows=()
failures=0 passes=0 skips=0

record() {  # name platform result seconds [reason]
  rows+=("$(printf '%-34s %-10s %-8s %6ss  %s' "$1" "$2" "$3" "$4" "${5:-}")")
  case $3 in passed) passes=$((passes + 1)) ;; failed) failures=$((failures + 1)) ;; skipped) skips=$((skips + 1)) ;; esac
}

run_stage() {  # name platform log command...
  local name=$1 platform=$2 log=$3 start rc
  shift 3
  echo "== $name${platform:+ on $platform} (log: $log)"
  start=$(date +%s)
  "$@" >"$log" 2>&1
  rc=$?
  local took=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    record "$name" "${platform:--}" passed "$took"
  else
    record "$name" "${platform:--}" failed "$took" "see $log"
    echo "   FAILED ($name${platform:+ on $platform}); last lines of $log:"
    tail -n 40 "$log" | sed 's/^/   | /'
  fi
}

# --- set-up: everything the tests need, idempotent and quick when already done
bash tools/venv.sh || exit 1
bash tools/collections.sh || exit 1

scenario_platforms() { awk -v s="$1" '$1 == s { for (i = 2; i <= NF; i++) if ($i !~ /^[?]/) print $i }' molecule/matrix | xargs; }
# the VAR of an opt-in scenario's ?VAR in the matrix (empty for the others)
scenario_optin() { awk -v s="$1" '$1 == s { for (i = 2; i <= NF; i++) if ($i ~ /^[?]/) print substr($i, 2) }' molecule/matrix; }
enabled=$(awk '!/^#/ && NF { print $1 }' molecule/matrix)

if [ -n "$only" ]; then
  [ -d "molecule/$only" ] || [ "$only" = lab_e2e ] || { echo "no scenario molecule/$only" >&2; exit 2; }
  scenarios=$only
else
  run_stage ansible-lint "" "$logs/ansible-lint.log" ansible-lint --profile production
  run_stage changelog-lint "" "$logs/changelog-lint.log" antsibull-changelog lint
  run_stage ansible-test-sanity "" "$logs/sanity.log" bash tools/sanity.sh
  bash tools/host-tools.sh || exit 1
  run_stage unit-tests "" "$logs/unit.log" python -m pytest -q tests/unit
  scenarios=$enabled
fi

if [ -n "$scenarios" ]; then
  bash tools/docker-engine.sh || exit 1
  platforms_needed=$(for s in $scenarios; do scenario_platforms "$s"; done | tr ' ' '\n' | sort -u | xargs)
  read -r -a platform_list <<<"${platforms_needed:-debian12}"
  bash tools/images.sh "${platform_list[@]}" || exit 1
fi

# Scenario runs go through a queue served by TDA_TEST_JOBS workers (2 by default: the
# scenarios spend much of their time waiting on daemons, so two lanes share the 2 cores well).
# Each run's result is one line in $results; the table keeps the matrix's order.
# A scenario's runs share Molecule's state directory, so they never overlap: the queue holds
# every Debian 12 run before the Debian 13 ones, and a lock per scenario covers the rest.
runs() {
  for scenario in $scenarios; do
    platforms=$(scenario_platforms "$scenario")
    [ -n "$platforms" ] || platforms=debian12   # an explicitly named scenario that is not enabled yet
    for platform in $platforms; do echo "$scenario $platform"; done
  done
}
queue=$(mktemp) results=$(mktemp) skip_notes=$(mktemp)
# opt-in scenarios whose variable is not 1 are recorded as skipped, never run
while read -r scenario platform; do
  optin=$(scenario_optin "$scenario")
  if [ -n "$optin" ] && [ "${!optin:-}" != 1 ] && [ -z "$only" ]; then
    echo "$scenario $platform skipped 0 $optin" >>"$results"
  else
    echo "$scenario $platform"
  fi
done < <(runs | sort -s -k2,2) >"$queue"

# shellcheck disable=SC2016  # the inner script gets the queue as its $1
next_run() { flock "$queue.lock" bash -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$queue"; }

run_scenario() {  # scenario platform
  local name="molecule:$1" log="$logs/molecule-$1-$2.log" start rc took
  echo "== $name on $2 (log: $log)"
  start=$(date +%s)
  if [ "$1" = lab_e2e ]; then
    # the lab's containers are shared by name: one end-to-end run at a time on the machine
    flock "$queue.$1.lock" env LAB_PLATFORM="$2" bash tools/e2e.sh >"$log" 2>&1
  else
    flock "$queue.$1.lock" env TDA_PLATFORM="$2" molecule test -s "$1" >"$log" 2>&1
  fi
  rc=$?
  took=$(( $(date +%s) - start ))
  if [ $rc -eq 0 ]; then
    echo "$1 $2 passed $took" >>"$results"
  else
    echo "$1 $2 failed $took" >>"$results"
    echo "   FAILED ($name on $2); last lines of $log:"
    tail -n 40 "$log" | sed 's/^/   | /'
  fi
}

worker() { local run; while run=$(next_run) && [ -n "$run" ]; do run_scenario "${run% *}" "${run#* }"; done; }

workers=${TDA_TEST_JOBS:-2}
[ -n "$only" ] && workers=1
for _ in $(seq "$workers"); do worker & done
wait

while read -r scenario platform; do
  line=$(awk -v s="$scenario" -v p="$platform" '$1 == s && $2 == p' "$results")
  if [ -n "$line" ]; then
    read -r -a fields <<<"$line"; set -- "${fields[@]}"
    log="$logs/molecule-$1-$2.log"
    skipped_tests=$(grep -a -c "SKIPPED \[" "$log" 2>/dev/null)
    if [ "$3" = skipped ]; then note="opt-in: $5=1 runs it where it can (molecule/$1/molecule.yml says what it needs)"
    elif [ "$3" = failed ]; then note="see $log"
    elif [ "$skipped_tests" -gt 0 ]; then
      note="$skipped_tests test(s) skipped inside, reasons below"
      { echo "molecule:$1 on $2:"; grep -a -A3 "SKIPPED \[" "$log" | sed 's/\x1b\[[0-9;]*m//g; s/^[^│]*│ *//'; } >>"$skip_notes"
    else note=""; fi
    record "$([ "$1" = lab_e2e ] && echo e2e:lab || echo "molecule:$1")" "$2" "$3" "$4" "$note"
  else
    record "molecule:$scenario" "$platform" failed 0 "did not run"
  fi
done < <(runs)
rm -f "$queue" "$queue".*lock "$results"

echo
echo "== results"
printf '%-34s %-10s %-8s %7s  %s\n' "stage / scenario" platform result time note
for row in "${rows[@]}"; do echo "$row"; done
if [ -z "$only" ]; then
  for dir in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$dir")")
    grep -qx "$s" <<<"$enabled" || printf '%-34s %-10s %-8s %7s  %s\n' "molecule:$s" - "not enabled yet" - ""
  done
fi
# tests a scenario skipped (what cannot run on these machines), with pytest's reasons
[ -s "$skip_notes" ] && { echo; echo "== skipped inside scenarios"; cat "$skip_notes"; }
rm -f "$skip_notes"
total=$(( $(date +%s) - suite_start ))
echo "total time: ${total}s ($((total / 60))m $((total % 60))s)"
echo "$passes passed, $failures failed, $skips skipped"
[ $failures -eq 0 ]
