#!/usr/bin/env bash
# The whole test suite: ansible-lint (production profile), ansible-test sanity, unit tests,
# then every enabled Molecule scenario on its platforms. `tools/test.sh SCENARIO` runs one
# scenario only. Ends with a table of results and times; exits non-zero on any failure.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"

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

scenario_platforms() { awk -v s="$1" '$1 == s { $1 = ""; print }' molecule/matrix; }
enabled=$(awk '!/^#/ && NF { print $1 }' molecule/matrix)

if [ -n "$only" ]; then
  [ -d "molecule/$only" ] || { echo "no scenario molecule/$only" >&2; exit 2; }
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
  bash tools/images.sh ${platforms_needed:-debian12} || exit 1
fi

for scenario in $scenarios; do
  platforms=$(scenario_platforms "$scenario")
  [ -n "$platforms" ] || platforms=debian12   # an explicitly named scenario that is not enabled yet
  for platform in $platforms; do
    run_stage "molecule:$scenario" "$platform" "$logs/molecule-$scenario-$platform.log" \
      env TDA_PLATFORM="$platform" molecule test -s "$scenario"
  done
done

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
total=$(( $(date +%s) - suite_start ))
echo "total time: ${total}s ($((total / 60))m $((total % 60))s)"
echo "$passes passed, $failures failed, $skips skipped"
[ $failures -eq 0 ]
