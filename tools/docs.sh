#!/usr/bin/env bash
# make docs: antsibull-docs lints the collection's documentation (every role's argument spec,
# every module's and filter's documentation, their markup and references), then the static site
# is built into artifacts/docs/html - the reference from antsibull-docs, the guides from README.md
# and docs/*.md through MyST - by Sphinx with warnings as errors. Its own virtualenv (Sphinx 9
# cannot share requirements.txt's pins); no network but PyPI for that virtualenv.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$TDA_ROOT"

bash tools/venv.sh docs/site/requirements.txt .venv-docs
docs_bin=$TDA_ROOT/.venv-docs/bin
work=artifacts/docs
rm -rf "$work"
mkdir -p "$work/rst/guides/modules"

start=$(date +%s)
echo "== antsibull-docs lint-collection-docs --plugin-docs (references to any collection checked)"
"$docs_bin/antsibull-docs" lint-collection-docs --plugin-docs --validate-collection-refs all \
  --disallow-unknown-collection-refs --check-extra-docs-refs .

echo "== the reference: antsibull-docs collection tda.monitoring"
# antsibull-docs wants its output directory writable by itself alone
chmod go-w "$work/rst"
"$docs_bin/antsibull-docs" --config-file docs/site/antsibull-docs.cfg collection --use-current \
  --fail-on-error --dest-dir "$work/rst" tda.monitoring
cp docs/site/index.rst "$work/rst/index.rst"
cp README.md docs/*.md "$work/rst/guides/"
cp docs/modules/*.md "$work/rst/guides/modules/"

echo "== sphinx-build -W (warnings are errors)"
TDA_DOCS_WORK=$TDA_ROOT/$work "$docs_bin/sphinx-build" -q -b html -W --keep-going -c docs/site "$work/rst" "$work/html"
echo "== docs site: $work/html/index.html ($(find "$work/html" -name '*.html' | wc -l) pages) in $(( $(date +%s) - start )) s"
