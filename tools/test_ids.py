"""The list of what the suite tests, kept in tests/test-ids.txt so a change cannot lose a test quietly.

It holds every test id pytest collects from the unit tests, the end-to-end tests and each
scenario's verifier, plus one `run:` line per scenario and platform of molecule/matrix.
`--write` records the current list; without it (a stage of `make test`) the script fails when an id of the
recorded list is gone and tests/test-ids-moved.txt does not say where its assertion lives now,
or when the recorded list is not the current one.
"""
import argparse
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIST = os.path.join(ROOT, "tests", "test-ids.txt")
MOVED = os.path.join(ROOT, "tests", "test-ids-moved.txt")
# testinfra's host parameter says where a run went, not what it tests
HOST_PARAM = re.compile(r"\[(local|NOTSET)\]$|(?<=\[)(local|NOTSET)-")


def collect(path):
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider", path],
                          cwd=ROOT, capture_output=True, text=True, check=False)
    ids = [line for line in proc.stdout.splitlines() if "::" in line]
    if proc.returncode != 0 or not ids:
        raise SystemExit("pytest could not collect %s:\n%s%s" % (path, proc.stdout[-3000:], proc.stderr[-2000:]))
    return [HOST_PARAM.sub("", line) for line in ids]


def matrix_runs():
    runs = []
    with open(os.path.join(ROOT, "molecule", "matrix")) as handle:
        for line in handle:
            fields = line.split()
            if not fields or fields[0].startswith(("#", "@")):
                continue
            runs += ["run: %s on %s" % (fields[0], platform) for platform in fields[1:] if platform.startswith("debian")]
    return runs


def current():
    ids = collect("tests/unit") + collect("tests/e2e")
    for scenario in sorted(os.listdir(os.path.join(ROOT, "molecule"))):
        if os.path.isdir(os.path.join(ROOT, "molecule", scenario, "tests")):
            ids += collect(os.path.join("molecule", scenario, "tests"))
    return sorted(set(ids + matrix_runs()))


def read_lines(path):
    if not os.path.exists(path):
        return []
    with open(path) as handle:
        return [line.rstrip("\n") for line in handle if line.strip() and not line.startswith("#")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="record the current list in tests/test-ids.txt")
    args = parser.parse_args()
    ids = current()
    recorded = read_lines(LIST)
    moved = {}
    for line in read_lines(MOVED):
        old, sep, where = line.partition(" -> ")
        if not sep or not where.strip():
            raise SystemExit("%s: %r must read 'OLD ID -> where its assertion lives now'" % (MOVED, line))
        moved[old.strip()] = where.strip()
    present = set(ids)
    # a mapping to another id (rather than to a prose place) must name one that is collected
    for old, where in moved.items():
        target = where.split(" (")[0].strip()
        if ("::" in target or target.startswith("run: ")) and target not in present:
            print("MOVED TO NOTHING: %s -> %s (not collected)" % (old, target))
            return 1
    # a recorded id that is gone must say where its assertion went, also when the list is rewritten
    lost = [i for i in recorded if i not in present and i not in moved]
    for i in lost:
        print("LOST: %s (no longer collected and not in %s)" % (i, os.path.relpath(MOVED, ROOT)))
    if args.write:
        if lost:
            return 1
        with open(LIST, "w") as handle:
            handle.write("# What the suite tests (tools/test_ids.py --write); a removed id goes to test-ids-moved.txt\n")
            handle.write("".join(i + "\n" for i in ids))
        print("%d ids written to %s" % (len(ids), os.path.relpath(LIST, ROOT)))
        return 0
    new = [i for i in ids if i not in set(recorded)]
    print("%d ids collected, %d recorded, %d mapped in %s" % (len(ids), len(recorded), len(moved), os.path.basename(MOVED)))
    for i in new:
        print("NOT RECORDED: %s (run python tools/test_ids.py --write)" % i)
    return 1 if lost or new or recorded != sorted(recorded) else 0


if __name__ == "__main__":
    sys.exit(main())
