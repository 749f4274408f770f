#!/usr/bin/env bash
# Container smoke test: build the image from the unchanged Dockerfile and run it the way GitHub's runner
# runs a Docker action (../shared/tools/container-smoke), against the emulator on 127.0.0.1.
#   1. a sync of the example dataset: the draft is created, 3 files uploaded, GITHUB_OUTPUT and the
#      job summary written, the record-id file committed by the bot and pushed to origin;
#   2. the same with PATH=utter-nonsense (the ENTRYPOINT must not depend on PATH);
#   3. no token: validate only, exit 0, a ::warning::, nothing sent to the emulator;
#   4. with arguments, as the CLI: `docker run ... <image> sync zenodo.yaml` (the README's command).
# The workspace is owned by another uid, as on GitHub, so git's safe.directory check is exercised.
# Exit status non-zero on any failed assertion. Needs root (podman); installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
smoke=${CONTAINER_SMOKE:-$root/../shared/tools/container-smoke}
state=${CONTAINER_SMOKE_DIR:-/tmp/container-smoke}
max_layer_mb=${ZSYNC_MAX_LAYER_MB:-40}
token="smoke-$RANDOM$RANDOM"
work=$(mktemp -d /tmp/zsync-smoke.XXXXXX)
emulator_pid=""
cleanup() {
  if [[ -n $emulator_pid ]]; then
    kill "$emulator_pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$emulator_pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$emulator_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

failures=0
check() { # check DESCRIPTION COMMAND...: one assertion
  if "${@:2}"; then echo "  ok: $1"; else echo "  FAILED: $1" >&2; failures=$((failures + 1)); fi
}

echo "=== build"
"$smoke" build . 2>&1 | tee "$work/build.log"
size_mb=$(sed -n 's/.*adds to its final base: \([0-9]*\) MB.*/\1/p' "$work/build.log")
check "image layers on the base: ${size_mb:-?} MB <= $max_layer_mb MB" test "${size_mb:-999}" -le "$max_layer_mb"

echo "=== emulator"
python=${ZSYNC_PYTHON:-$root/.venv/bin/python}
if ! "$python" -c 'import zsync.emulator' 2>/dev/null; then
  python3 -m venv "$work/venv"
  "$work/venv/bin/pip" install -q --disable-pip-version-check "$root"
  python=$work/venv/bin/python
fi
"$python" -m zsync.emulator --host 127.0.0.1 --port 0 --token "$token" >"$work/emulator.log" 2>&1 &
emulator_pid=$!
url=""
for _ in $(seq 100); do
  url=$(sed -n 's/.*serving \(http[^ ]*\).*/\1/p' "$work/emulator.log" 2>/dev/null) || url=""
  [[ -n $url ]] && break
  sleep 0.1
done
[[ -n $url ]] || { cat "$work/emulator.log" >&2; echo "the emulator did not start" >&2; exit 1; }
echo "emulator at $url"

# emulator_requests METHOD PATH_REGEX: how many such requests the emulator has seen so far
emulator_requests() {
  "$python" - "$url/_emulator/log" "$1" "$2" <<'PY'
import json, re, sys, urllib.request
log = json.load(urllib.request.urlopen(sys.argv[1], timeout=10))
print(sum(1 for e in log if e["method"] == sys.argv[2] and re.fullmatch(sys.argv[3], e["path"])))
PY
}

# workspace NAME: the example dataset in a git repo owned by uid 1001, origin a bare repo beside it
# (inside the mount, so the container can push to it; owned by root like a server's).
workspace() {
  local dir=$work/$1
  mkdir -p "$dir"
  (cd "$root/examples" && tar --exclude=./workflows --exclude=./.zenodo-record-id.txt -cf - .) | tar -C "$dir" -xf -
  sed -i "s#^endpoint: .*#endpoint: $url#" "$dir/zenodo.yaml"
  git -C "$dir" init -q -b main
  git -C "$dir" add .
  git -C "$dir" -c user.name=Dev -c user.email=dev@example.org commit -q -m "dataset"
  git init -q --bare -b main "$dir/.origin.git"
  git -C "$dir" remote add origin ./.origin.git
  echo ".origin.git/" >>"$dir/.git/info/exclude"
  git -C "$dir" push -q origin main
  chown -R 1001:1001 "$dir"
  chown -R 0:0 "$dir/.origin.git"
  echo "$dir"
}

outputs_file=$state/gh/file_commands/output
summary_file=$state/gh/file_commands/summary
output() { # output NAME: a value from GITHUB_OUTPUT (name<<DELIMITER ... DELIMITER)
  awk -v name="$1" '
    !inside && index($0, name "<<") == 1 { delim = substr($0, length(name) + 3); inside = 1; next }
    inside && $0 == delim { exit }
    inside { print }' "$outputs_file"
}

sync_run() { # sync_run LABEL [container-smoke run options]: one sync with a token, then its assertions
  local label=$1 ws
  shift
  echo "=== run: $label"
  ws=$(workspace "$label")
  local posts_before uploads_before code=0
  posts_before=$(emulator_requests POST '/api/records')
  uploads_before=$(emulator_requests PUT '/api/records/[^/]+/draft/files/[^/]+/content')
  "$smoke" run --workspace "$ws" -e "INPUT_TOKEN=$token" -e INPUT_CONFIG=zenodo.yaml "$@" \
    >"$work/$label.log" 2>&1 || code=$?
  cat "$work/$label.log"
  local record_id
  record_id=$(output record-id)
  check "exit status 0" test "$code" -eq 0
  check "the token is masked first" grep -qx "::add-mask::$token" "$work/$label.log"
  check "the token appears nowhere else" test "$(grep -c -- "$token" "$work/$label.log")" -eq 1
  check "one ::group:: per phase" grep -q '^::group::' "$work/$label.log"
  check "a draft was created (POST /api/records)" \
    test "$(emulator_requests POST '/api/records')" -eq $((posts_before + 1))
  check "3 files uploaded to the emulator" \
    test "$(emulator_requests PUT '/api/records/[^/]+/draft/files/[^/]+/content')" -eq $((uploads_before + 3))
  check "GITHUB_OUTPUT: status=created" test "$(output status)" = created
  check "GITHUB_OUTPUT: record-id set" test -n "$record_id"
  check "GITHUB_OUTPUT: files-uploaded=3" test "$(output files-uploaded)" = 3
  check "GITHUB_OUTPUT: doi set" test -n "$(output doi)"
  check "summary written with the record" grep -q "| Record | \[$record_id\]" "$summary_file"
  # shellcheck disable=SC2016  # the backticks are Markdown, not a command substitution
  check "summary lists the uploaded files" grep -qF '| `measurements.csv` | uploaded |' "$summary_file"
  check "the id file holds the record id" test "$(cat "$ws/.zenodo-record-id.txt")" = "$record_id"
  check "the id file was pushed to origin" \
    test "$(git -C "$ws/.origin.git" show main:.zenodo-record-id.txt)" = "$record_id"
  check "committed by github-actions[bot]" \
    test "$(git -C "$ws/.origin.git" log -1 --format=%an main)" = "github-actions[bot]"
  check "GITHUB_OUTPUT: record-id-commit is the pushed commit" \
    test "$(output record-id-commit)" = "$(git -C "$ws/.origin.git" rev-parse main)"
}

sync_run sync
sync_run hostile-path --hostile-path

echo "=== run: no token"
ws=$(workspace no-token)
requests_before=$("$python" -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' "$url/_emulator/log")
code=0
"$smoke" run --workspace "$ws" -e INPUT_CONFIG=zenodo.yaml >"$work/no-token.log" 2>&1 || code=$?
cat "$work/no-token.log"
requests_after=$("$python" -c 'import json, sys, urllib.request; print(len(json.load(urllib.request.urlopen(sys.argv[1]))))' "$url/_emulator/log")
check "exit status 0" test "$code" -eq 0
check "a ::warning:: says why nothing was uploaded" grep -q '^::warning .*nothing was uploaded' "$work/no-token.log"
check "GITHUB_OUTPUT: status=validated" test "$(output status)" = validated
check "summary explains how to add the secret" grep -q 'ZENODO_TOKEN' "$summary_file"
check "nothing was sent to the emulator" test "$requests_after" -eq "$requests_before"
check "no id file written" test ! -e "$ws/.zenodo-record-id.txt"

echo "=== run: as the CLI (docker run ... <image> sync zenodo.yaml, the README's command)"
ws=$(workspace cli)
posts_before=$(emulator_requests POST '/api/records')
code=0
"$smoke" run --workspace "$ws" -e "ZENODO_TOKEN=$token" -- sync zenodo.yaml >"$work/cli.log" 2>&1 || code=$?
cat "$work/cli.log"
check "exit status 0" test "$code" -eq 0
check "a draft was created" test "$(emulator_requests POST '/api/records')" -eq $((posts_before + 1))
check "the CLI's summary is printed" grep -q '^status: created' "$work/cli.log"
check "the id file was written" test -s "$ws/.zenodo-record-id.txt"

if ((failures)); then
  echo "container smoke: $failures assertion(s) FAILED" >&2
  exit 1
fi
echo "container smoke: all assertions passed (image layers: $size_mb MB)"
