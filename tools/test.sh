#!/usr/bin/env bash
# The whole test suite: the static stages (ansible-lint, changelog lint, ansible-test sanity,
# the unit tests, the test-id list) in a lane of their own beside the scenario lanes, every
# enabled Molecule scenario on its platforms, and the lab's end-to-end journey.
# `tools/test.sh SCENARIO` runs one scenario only (`tools/test.sh static` the static stages).
# Ends with a table of results, times and budgets; exits non-zero on any failure. A stage over
# its budget (molecule/matrix) is flagged in the table, never failed for it.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT" || exit 2

only=${1:-}
suite_start=$(date +%s)
logs=artifacts/test-logs
mkdir -p "$logs"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
results=$work/results   # one line per finished run: name platform result seconds
skip_notes=$work/skip-notes

stamp() { echo "[$(date +%H:%M:%S) +$(( $(date +%s) - suite_start ))s] $*"; }

# --- set-up that everything needs: quick when done (the machine keeps it, tools/venv.sh)
setup_start=$(date +%s)
bash tools/venv.sh || exit 1
bash tools/collections.sh || exit 1
echo "set-up - passed $(( $(date +%s) - setup_start ))" >"$results"

# --- the matrix: scenarios with their platforms, ?VAR for opt-in ones, budget=S per run;
# lines starting with @ are the static stages' budgets
matrix_field() { awk -v s="$1" '!/^#/ && $1 == s' molecule/matrix; }
scenario_platforms() { matrix_field "$1" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^debian/) print $i }' | xargs; }
scenario_optin() { matrix_field "$1" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^[?]/) print substr($i, 2) }'; }
budget_of() { matrix_field "$1" | awk '{ for (i = 2; i <= NF; i++) if ($i ~ /^budget=/) print substr($i, 8) }'; }
# from=tarball: the scenario runs from the built collection, installed offline (tools/tarball.sh)
from_tarball() { matrix_field "$1" | grep -qw "from=tarball"; }
enabled=$(awk '!/^#/ && !/^@/ && NF { print $1 }' molecule/matrix)

# --- the static lane: one stage after another, beside the scenarios (each is mostly one core)
static_stage() {  # name command...
  local name=$1 start rc
  shift
  stamp "== $name (log: $logs/$name.log)"
  start=$(date +%s)
  "$@" >"$logs/$name.log" 2>&1
  rc=$?
  echo "$name - $([ $rc -eq 0 ] && echo passed || echo failed) $(( $(date +%s) - start ))" >>"$results"
  if [ $rc -ne 0 ]; then
    echo "   FAILED ($name); last lines of $logs/$name.log:"
    tail -n 40 "$logs/$name.log" | sed 's/^/   | /'
  fi
}
static_lane() {
  # first: the archive scenarios and the unit tests' newer amtools wait for it (instant once built)
  static_stage release-mirror bash tools/mirror.sh
  static_stage ansible-lint ansible-lint --profile production
  static_stage changelog-lint antsibull-changelog lint
  static_stage test-ids python tools/test_ids.py
  static_stage ee-context bash tools/ee.sh
  static_stage docs bash tools/docs.sh
  static_stage unit-tests bash -c 'bash tools/host-tools.sh && python -m pytest -q tests/unit'
  static_stage ansible-test-sanity bash tools/sanity.sh
}
static_names="set-up release-mirror ansible-lint changelog-lint test-ids ee-context docs unit-tests ansible-test-sanity"

scenarios=""
run_static=false
case $only in
  "") scenarios=$enabled; run_static=true ;;
  static) run_static=true ;;
  *) [ -d "molecule/$only" ] || [ "$only" = lab_e2e ] || { echo "no scenario molecule/$only" >&2; exit 2; }
     scenarios=$only ;;
esac
static_pid=""
if $run_static; then static_lane & static_pid=$!; fi

if [ -n "$scenarios" ]; then
  bash tools/docker-engine.sh || exit 1
  platforms_needed=$(for s in $scenarios; do scenario_platforms "$s"; done | tr ' ' '\n' | sort -u | xargs)
  read -r -a platform_list <<<"${platforms_needed:-debian12}"
  # the first platform's image before any run; the others are built while its runs go (the queue
  # holds every Debian 12 run first), and a run on one of them waits for its image (images.sh locks)
  images_start=$(date +%s)
  bash tools/images.sh "${platform_list[0]}" || exit 1
  echo "images - passed $(( $(date +%s) - images_start ))" >>"$results"
  static_names="$static_names images"
  if [ ${#platform_list[@]} -gt 1 ]; then
    bash tools/images.sh "${platform_list[@]:1}" >"$logs/images-later.log" 2>&1 &
  fi
fi

# Scenario runs go through a queue served by TDA_TEST_JOBS workers (3 by default: with the
# scenarios' daemons waiting much of the time, two lanes left a core idle for minutes at a time).
# A scenario's runs share Molecule's state directory, so they never overlap: they are a chain, and
# the queue holds the runs by what is left of their chain (a run's budget times the runs of its
# scenario from it on), longest first; a worker takes the first run whose scenario is not running.
runs() {
  for scenario in $scenarios; do
    platforms=$(scenario_platforms "$scenario")
    [ -n "$platforms" ] || platforms=debian12   # an explicitly named scenario that is not enabled yet
    for platform in $platforms; do echo "$scenario $platform"; done
  done
}
queue=$work/queue
# opt-in scenarios whose variable is not 1 are recorded as skipped, never run
while read -r scenario platform; do
  optin=$(scenario_optin "$scenario")
  if [ -n "$optin" ] && [ "${!optin:-}" != 1 ] && [ -z "$only" ]; then
    echo "$scenario $platform skipped 0 $optin" >>"$results"
  else
    echo "$scenario $platform"
  fi
done < <(runs | while read -r scenario platform; do
            budget=$(budget_of "$scenario")
            # what is left of the chain from this run on: this platform and those after it
            left=$(scenario_platforms "$scenario" | tr ' ' '\n' | sed -n "/^$platform\$/,\$p" | wc -l)
            echo "$(( ${budget:-0} * left )) $scenario $platform"
          done | sort -s -k1,1nr | cut -d' ' -f2-) >"$queue"

# "scenario platform" of the first queued run whose scenario is not running (marked as running
# now), "wait" when every queued run's scenario is running, nothing when the queue is empty
next_run() {
  (
    flock 8
    mapfile -t queued <"$queue"
    for i in "${!queued[@]}"; do
      scenario=${queued[i]% *}
      [ ! -e "$work/running.$scenario" ] || continue
      touch "$work/running.$scenario"
      echo "${queued[i]}"
      unset "queued[i]"
      printf '%s\n' "${queued[@]}" | grep . >"$queue"
      exit 0
    done
    [ ${#queued[@]} -eq 0 ] || echo wait
  ) 8>"$queue.lock"
}

run_scenario() {  # scenario platform
  local name="molecule:$1" log="$logs/molecule-$1-$2.log" start rc took run
  stamp "== $name on $2 (log: $log)"
  start=$(date +%s)
  # every line of the log carries its time, so the steps' times can be read from it
  if [ "$1" = lab_e2e ]; then
    env LAB_PLATFORM="$2" PYTHONUNBUFFERED=1 bash tools/e2e.sh 2>&1 | timestamped >"$log"
  else
    # quick when the image is current; waits while the background build of it runs
    if from_tarball "$1"; then run=(bash tools/tarball.sh "$1" "$2"); else run=(molecule test -s "$1"); fi
    { bash tools/images.sh "$2" && env TDA_PLATFORM="$2" PYTHONUNBUFFERED=1 "${run[@]}"; } 2>&1 | timestamped >"$log"
  fi
  rc=${PIPESTATUS[0]}
  echo "$1 $2 $(step_times "$log")" >>"$steps"
  took=$(( $(date +%s) - start ))
  if [ "$rc" -eq 0 ]; then
    echo "$1 $2 passed $took" >>"$results"
  else
    echo "$1 $2 failed $took" >>"$results"
    echo "   FAILED ($name on $2); last lines of $log:"
    tail -n 40 "$log" | cut -d" " -f2- | sed 's/^/   | /'
  fi
}

# (a shell loop: awk would read its input in blocks and stamp a block with one time)
timestamped() { local line; while IFS= read -r line || [ -n "$line" ]; do printf '%(%s)T %s\n' -1 "$line"; done; }
# "create 3s converge 40s ...": Molecule prints a step's output when the step ends, so each step's
# time is what its playbook's timer says (pytest's own total for verify); e2e steps by timestamp
step_times() {
  sed 's/\x1b\[[0-9;]*m//g' "$1" | awk '
    / ➜ [a-z_]+: Executing$/ { name = $0; sub(/.* ➜ /, "", name); sub(/:.*/, "", name); pending = 1 }
    pending && /Playbook run took/ { n = split($0, f, " "); s = 0
      for (i = 1; i <= n; i++) { if (f[i] ~ /^hours?,?$/) s += f[i-1] * 3600; if (f[i] ~ /^minutes?,?$/) s += f[i-1] * 60; if (f[i] ~ /^seconds?$/) s += f[i-1] }
      out = out sprintf("%s %ds ", name, s); pending = 0 }
    pending && / passed.* in [0-9.]+s/ { match($0, / in [0-9.]+s/); out = out sprintf("%s %ds ", name, substr($0, RSTART + 4, RLENGTH - 5)); pending = 0 }
    / == e2e: / { if (e2e != "") out = out sprintf("%s %ds ", e2e, $1 - since); e2e = $0; sub(/.* == e2e: /, "", e2e); e2e = substr(e2e, 1, 20); gsub(/[ ,]/, "_", e2e); since = $1 }
    { last = $1 }
    END { if (e2e != "") out = out sprintf("%s %ds", e2e, last - since); print out }'
}
steps=$work/steps

worker() {
  local run
  while run=$(next_run) && [ -n "$run" ]; do
    if [ "$run" = wait ]; then sleep 2; continue; fi
    run_scenario "${run% *}" "${run#* }"
    rm -f "$work/running.${run% *}"
  done
}

workers=${TDA_TEST_JOBS:-3}
[ -n "$only" ] && workers=1
worker_pids=()
if [ -s "$queue" ]; then
  for _ in $(seq "$workers"); do worker & worker_pids+=($!); done
fi
[ ${#worker_pids[@]} -eq 0 ] || wait "${worker_pids[@]}"
[ -z "$static_pid" ] || wait "$static_pid"

# --- the table: the matrix's order, each run with its time and its budget
rows=() failures=0 passes=0 skips=0
record() {  # name platform result seconds budget note
  local note=$6
  if [ -n "$5" ] && [ "$4" -gt "$5" ]; then note="OVER BUDGET (${4}s > ${5}s)${note:+; $note}"; fi
  rows+=("$(printf '%-34s %-10s %-8s %6ss %7s  %s' "$1" "$2" "$3" "$4" "${5:+${5}s}" "$note")")
  case $3 in passed) passes=$((passes + 1)) ;; failed) failures=$((failures + 1)) ;; skipped) skips=$((skips + 1)) ;; esac
}
for stage in $static_names; do
  line=$(awk -v s="$stage" '$1 == s' "$results")
  [ -n "$line" ] || { $run_static && record "$stage" - failed 0 "" "did not run"; continue; }
  read -r -a fields <<<"$line"
  note=""; [ "${fields[2]}" = failed ] && note="see $logs/$stage.log"
  record "$stage" - "${fields[2]}" "${fields[3]}" "$(budget_of "@$stage")" "$note"
done
while read -r scenario platform; do
  line=$(awk -v s="$scenario" -v p="$platform" '$1 == s && $2 == p' "$results")
  label=$([ "$scenario" = lab_e2e ] && echo e2e:lab || echo "molecule:$scenario")
  if [ -n "$line" ]; then
    read -r -a fields <<<"$line"; set -- "${fields[@]}"
    log="$logs/molecule-$1-$2.log"
    skipped_tests=$(grep -a -c "SKIPPED \[" "$log" 2>/dev/null); skipped_tests=${skipped_tests:-0}
    if [ "$3" = skipped ]; then note="opt-in: $5=1 runs it where it can (molecule/$1/molecule.yml says what it needs)"
    elif [ "$3" = failed ]; then note="see $log"
    elif [ "$skipped_tests" -gt 0 ]; then
      note="$skipped_tests test(s) skipped inside, reasons below"
      { echo "molecule:$1 on $2:"; grep -a -A3 "SKIPPED \[" "$log" | sed 's/\x1b\[[0-9;]*m//g; s/^[^│]*│ *//'; } >>"$skip_notes"
    else note=""; fi
    budget=""; [ "$3" = skipped ] || budget=$(budget_of "$1")
    record "$label" "$2" "$3" "$4" "$budget" "$note"
  else
    record "$label" "$platform" failed 0 "$(budget_of "$scenario")" "did not run"
  fi
done < <(runs)

echo
echo "== results"
printf '%-34s %-10s %-8s %7s %7s  %s\n' "stage / scenario" platform result time budget note
for row in "${rows[@]}"; do echo "$row"; done
if [ -z "$only" ]; then
  for dir in molecule/*/molecule.yml; do
    s=$(basename "$(dirname "$dir")")
    grep -qx "$s" <<<"$enabled" || printf '%-34s %-10s %-8s %7s\n' "molecule:$s" - "not enabled yet" -
  done
fi
if [ -s "$steps" ]; then
  echo; echo "== where each run's time went (Molecule steps; e2e steps)"
  sort "$steps" | while read -r scenario platform rest; do printf '%-24s %-9s %s\n' "$scenario" "$platform" "$rest"; done
fi
# tests a scenario skipped (what cannot run on these machines), with pytest's reasons
[ -s "$skip_notes" ] && { echo; echo "== skipped inside scenarios"; cat "$skip_notes"; }
total=$(( $(date +%s) - suite_start ))
suite_budget=$(budget_of "@suite")
echo "total time: ${total}s ($((total / 60))m $((total % 60))s)${suite_budget:+, budget ${suite_budget}s}$([ -n "$suite_budget" ] && [ "$total" -gt "$suite_budget" ] && echo " OVER BUDGET")"
echo "$passes passed, $failures failed, $skips skipped"
[ $failures -eq 0 ]
