#!/usr/bin/env bash
# The end-to-end scenario: create the lab and deploy the profile to it (tools/lab.sh up), deploy
# again with -vvv --diff (nothing changes, and no secret of the lab's vault is in the output),
# a check run of the whole site with a pending change (-vvv --diff: only that change predicted, no secret),
# a check run promtool refuses (it fails, as the real run would), every certificate renewed and the
# scrape password rotated in place (tests/e2e/renewal.py: no restart, no failed scrape) and a screenshot of Prometheus's
# classic targets page with Debian's headless Chromium, all while the alert journeys of
# tests/e2e/test_lab.py wait for their alerts to resolve; then the lab is removed. Artefacts go to artifacts/e2e/.
set -uo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT" || exit 2
export ANSIBLE_INVENTORY_UNPARSED_FAILED=true
out=artifacts/e2e
mkdir -p "$out"
status=0
step() { echo "== e2e: $*"; }
fail() { echo "   FAILED: $*"; status=1; }
# the lab's admin sign-in (user:password), for curl and Chromium
lab_admin="$(sed -n 's/^tda_web_admin_user: *//p' playbooks/group_vars/all.yml):$(sed -n 's/^vault_tda_web_admin_password: *//p' inventories/lab/group_vars/all/vault.yml)"

recap_changed() {  # log -> sum of changed= over the PLAY RECAP lines
  awk '/PLAY RECAP/ { recap = 1 } recap && /changed=/ { sub(/.*changed=/, ""); sum += $1 } END { print sum + 0 }' "$1"
}

predicted_outside() {  # log daemon... -> the changed tasks (task: host) that are not those daemons'
  python3 - "$@" <<'PY'
import sys
sys.path.insert(0, "molecule/shared")
from scenario import changed_task_names
names = changed_task_names(open(sys.argv[1], errors="replace").read())
# the daemon role's task names end with the daemon's name ("...: prometheus", "... unit of prometheus")
outside = [name for name in names if name.rsplit(": ", 1)[0].split()[-1] not in sys.argv[2:]]
print("; ".join(outside) if names else "nothing at all (the pending change was not predicted)")
PY
}

leaked_secrets() {  # log -> the names of the lab vault's secrets found in it
  python3 - "$1" <<'PY'
import sys, yaml
secrets = yaml.safe_load(open("inventories/lab/group_vars/all/vault.yml"))
text = open(sys.argv[1], errors="replace").read()
print(" ".join(name for name, value in secrets.items() if str(value) in text))
PY
}

step "a fresh lab: whatever lab exists is removed first"
bash tools/lab.sh down
step "lab up (services, then site.yml)"
bash tools/lab.sh up >"$out/lab-up.log" 2>&1 || fail "make lab (see $out/lab-up.log)"
tail -n 16 "$out/lab-up.log"

if [ $status -eq 0 ]; then
  # The journeys' last wait (TDAAPIHighErrorRate resolving as its 5 m window empties, ~5 min)
  # needs no CPU: the deploy checks below run in it. They start only once every fault is healed,
  # so they never load the path whose notification times the journeys bound.
  step "alert journeys (tests/e2e/test_lab.py) start; the checks below run once every fault is healed"
  rm -f "$out/healed"
  TDA_E2E_HEALED_MARK="$out/healed" python -m pytest -v -s -p no:cacheprovider tests/e2e >"$out/pytest.log" 2>&1 &
  journeys=$!
  while [ ! -e "$out/healed" ] && kill -0 "$journeys" 2>/dev/null; do sleep 2; done

  step "site.yml again with -vvv --diff: nothing changes, no secret of the lab's vault in the output"
  ansible-playbook -i inventories/lab site.yml -vvv --diff >"$out/site-vvv.log" 2>&1 || fail "second deploy (see $out/site-vvv.log)"
  changed=$(recap_changed "$out/site-vvv.log")
  echo "   changed tasks: $changed"
  [ "$changed" = 0 ] || fail "the second deploy changed $changed tasks"
  leaked=$(leaked_secrets "$out/site-vvv.log")
  echo "   secrets of inventories/lab/group_vars/all/vault.yml searched: $(grep -c '^vault_' inventories/lab/group_vars/all/vault.yml); found: ${leaked:-none}"
  [ -z "$leaked" ] || fail "secrets in -vvv output: $leaked"

  step "check mode of the whole site with a pending change to prometheus.yml and alertmanager.yml, -vvv --diff: both diffs shown, only those two daemons' tasks predicted, no secret of the lab's vault in the output"
  # one check run of every play: the pending change's plays predict it, every other play nothing
  # (the converged lab's changed=0), so no second full check run is needed
  ansible-playbook -i inventories/lab site.yml --check --diff -vvv -e tda_alert_group_wait=11s \
    -e tda_slow_scrape_interval=31s >"$out/site-check-pending.log" 2>&1 || fail "check mode of a pending change (see $out/site-check-pending.log)"
  for shown in "group_wait: 11s" "scrape_interval: 31s"; do
    grep -qE -- "^\+\s+$shown\$" "$out/site-check-pending.log" || fail "the check run's diff does not show '$shown'"
  done
  unexpected=$(predicted_outside "$out/site-check-pending.log" prometheus alertmanager)
  echo "   changed tasks predicted: $(recap_changed "$out/site-check-pending.log"); of other daemons: ${unexpected:-none}"
  [ -z "$unexpected" ] || fail "check mode predicts changes the pending change does not make: $unexpected"
  leaked=$(leaked_secrets "$out/site-check-pending.log")
  echo "   secrets found: ${leaked:-none}"
  [ -z "$leaked" ] || fail "secrets in the -vvv --diff output of a pending change: $leaked"

  step "check mode refuses what only promtool refuses (-e tda_api_scrape_timeout=9s, above the lab's interval)"
  if ansible-playbook -i inventories/lab site.yml --tags prometheus --check --diff -e tda_api_scrape_timeout=9s \
    >"$out/site-check-refused.log" 2>&1; then
    fail "check mode passed a configuration promtool refuses (see $out/site-check-refused.log)"
  elif grep -q "scrape timeout greater than scrape interval" "$out/site-check-refused.log"; then
    echo "   refused in check mode: $(grep -o 'scrape timeout greater than scrape interval.*' "$out/site-check-refused.log" | head -n 1 | cut -c1-120)"
  else
    fail "check mode failed for another reason (see $out/site-check-refused.log)"
  fi

  step "certificates renewed and the scrape password rotated in place (tests/e2e/renewal.py, two deploys): new certificates served, both users accepted, then the old refused; no restart, no failed scrape"
  python3 tests/e2e/renewal.py "$out/site-renewal.log" || fail "certificate renewal or password rotation (see $out/site-renewal*.log)"

  step "screenshot of Prometheus's classic targets page (Debian's headless Chromium)"
  if ! command -v chromium >/dev/null; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null 2>&1 ||
      { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }
  fi
  if chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1400,2400 \
    --ignore-certificate-errors \
    --screenshot="$out/prometheus-classic-targets.png" "https://$lab_admin@127.0.0.1:19090/classic/targets" >/dev/null 2>&1; then
    echo "   $out/prometheus-classic-targets.png ($(stat -c %s "$out/prometheus-classic-targets.png") bytes)"
  else
    fail "no screenshot"
  fi
  curl -fsS --cacert .cache/pki/lab/ca.crt -u "$lab_admin" https://127.0.0.1:19090/api/v1/targets >"$out/targets.json" ||
    fail "no /api/v1/targets"

  step "alert journeys (tests/e2e/test_lab.py): the resolved notifications"
  wait "$journeys"
  rc=$?
  grep -E "PASSED|FAILED|ERROR| -> |targets up| passed| failed" "$out/pytest.log" | sed 's/^/   /'
  [ $rc -eq 0 ] || fail "tests/e2e (see $out/pytest.log)"
fi

[ -n "${TDA_KEEP_LAB:-}" ] || { step "lab down"; bash tools/lab.sh down; }
exit $status
