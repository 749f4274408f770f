#!/usr/bin/env bash
# Every workflow we ship, run end to end by a real runner implementation (nektos/act) on a real
# Docker engine (../shared/tools/gha-local), offline: the Zenodo emulator, a git server and an image
# registry all listen on 127.0.0.1, and nothing else is reached.
#
#   image        `gha-local build` of the unchanged Dockerfile; its layers over the base measured with
#                docker image inspect and docker history (goal <= 40 MB); the README's `docker run`
#                command, as a user types it, against the emulator.
#   release      the release commit made as release.yml makes it (.github/release.py plan + commit):
#                the image pushed to the registry under the tags the plan names, action.yml pinned to
#                its digest. Every scenario below runs the Action from that commit (the composite path)
#                and asserts that the container ran the pinned image, pulled by digest, which is the
#                one `gha-local build` made.
#   ci.yml       the `action` job: validate without token, sync, refused token, all with
#                PATH=utter-nonsense; the github-token never reaches a container with commit-record-id off.
#   sync-on-push run 1 creates the draft and pushes the record id to the HTTPS git server (token in
#                the extraheader; workspace owned by uid 1001; one commit lands on origin after the
#                checkout, another while zsync pushes); run 2 is a no-op.
#   sync-on-release  a release event for v1.1.0 after 1.0.0 was published: a new version, only the
#                changed file uploaded, the new id committed to the default branch.
#   push beside release  sync-on-push with zenodo.yaml still 1.0.0: while the release's draft 1.1.0
#                is open (kept, nothing changed), then after it was published with a changed file on
#                main (a warning names it, nothing changed); both succeed.
#   validate-pr  a pull_request with no secrets validates; a broken zenodo.yaml fails on its line.
#   release.yml  the plan job (workflow_dispatch). Its image and tag jobs cannot run offline: they build
#                with docker/setup-buildx-action for two platforms and push to ghcr.io (remote actions,
#                a remote registry); the tag job's logic is release.py commit, run above.
# The job container runs as uid 1001 with the docker CLI and socket, as GitHub's runner does; the
# Action's container runs as root on that workspace, so git's safe.directory check is exercised.
# Exit status non-zero on any failed assertion. Needs root; installs what it needs.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
gha=${GHA_LOCAL:-$root/../shared/tools/gha-local}
state=${GHA_LOCAL_DIR:-/tmp/gha-local}
export DOCKER_HOST=unix://$state/docker.sock
max_layer_mb=${ZSYNC_MAX_LAYER_MB:-40}
harness() { python3 "$root/.ci/act_harness.py" "$@"; }
token="emu-$RANDOM$RANDOM"       # the emulator's token: the ZENODO_TOKEN secret of the runs
gh_token="ghs-$RANDOM$RANDOM"    # the GITHUB_TOKEN secret; the git server demands it
repository=zsync-org/zenodo-sync
work=$(mktemp -d /tmp/zsync-act.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ -n ${ZSYNC_ACT_KEEP:-} ]]; then echo "kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
t0=$SECONDS
say() { printf '\n=== %s (%d s)\n' "$*" $((SECONDS - t0)); }
failures=0
check() { # check DESCRIPTION COMMAND...: one assertion of this script (the harness has its own)
  if "${@:2}"; then echo "  ok: $1"; else echo "  FAILED: $1" >&2; failures=$((failures + 1)); fi
}
verdict() { "$@" || failures=$((failures + 1)); }
not() { ! "$@" >/dev/null 2>&1; }
free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_for() { # wait_for FILE SED_EXPR: the first match, once the service printed it
  local value=""
  for _ in $(seq 150); do
    # The file may not exist yet: the service's shell opens it when it starts.
    value=$(sed -n "$2" "$1" 2>/dev/null | head -n1) || value=""
    [[ -n $value ]] && { echo "$value"; return; }
    sleep 0.1
  done
  cat "$1" >&2
  echo "act-workflows: $1 never said what was expected" >&2
  exit 1
}

say "engine and act (gha-local setup), registry (Debian's docker-registry)"
"$gha" setup "$root"
packages=()
command -v docker-registry >/dev/null || packages+=(docker-registry)
command -v openssl >/dev/null || packages+=(openssl)
if ((${#packages[@]})); then
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
fi
# The job container as on GitHub: user `runner` (uid 1001, in the group of the docker socket, with the
# docker CLI), so act gives it the workspace; Docker actions still run as their image's user, root.
# (act's --container-options would apply to the action's container too.)
runner_image=localhost/gha-runner:uid1001
mkdir -p "$work/runner"
cp "$(command -v docker)" "$work/runner/docker"
socket_gid=$(stat -c %g "$state/docker.sock")
cat >"$work/runner/Dockerfile" <<EOF
FROM localhost/gha-runner:bookworm
COPY docker /usr/local/bin/docker
RUN (getent group $socket_gid || groupadd -g $socket_gid docker-host) \\
 && useradd -m -u 1001 -G "\$(getent group $socket_gid | cut -d: -f1)" runner
USER runner
EOF
docker build -q --network host -t "$runner_image" "$work/runner" >/dev/null
runner_labels=()
for label in ubuntu-latest ubuntu-24.04 ubuntu-22.04; do runner_labels+=(-P "$label=$runner_image"); done

say "services on 127.0.0.1: emulator, registry, HTTPS git server"
(cd "$root" && exec python3 -m zsync.emulator --port 0 --token "$token") >"$work/emulator.log" 2>&1 &
pids+=($!)
emulator=$(wait_for "$work/emulator.log" 's/.*serving \(http[^ ]*\).*/\1/p')
registry_port=$(free_port)
registry=127.0.0.1:$registry_port
printf 'version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: %s\nhttp:\n  addr: %s\n' \
  "$work/registry" "$registry" >"$work/registry.yml"
docker-registry serve "$work/registry.yml" >"$work/registry.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fsS -o /dev/null "http://$registry/v2/" 2>/dev/null && break; sleep 0.1; done
# A CA and a certificate for 127.0.0.1: git verifies TLS as it would for github.com.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=zsync-test-ca -keyout "$work/ca.key" -out "$work/ca.pem" \
  -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 2 \
  -out "$work/server.pem" -extfile <(printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n') 2>/dev/null
origin=$work/git/zsync-org/pond-data.git
git init -q --bare -b main "$origin"
git --git-dir "$origin" config http.receivepack true
git_log=$work/git-requests.jsonl
harness git-server --root "$work/git" --token "$gh_token" --cert "$work/server.pem" --key "$work/server.key" \
  --log "$git_log" --race zsync-org/pond-data.git:main:refs/collab/next >"$work/git-server.log" 2>&1 &
pids+=($!)
git_url=$(wait_for "$work/git-server.log" 's/^serving \(https[^ ]*\)$/\1/p')
git_host=${git_url#https://}
echo "emulator $emulator, registry $registry, git $git_url"

say "image: gha-local build, its size over the base"
"$gha" build "$root"
image=localhost/zsync-action:local
image_id=$(docker image inspect "$image" --format '{{.Id}}')
image_bytes=$(docker image inspect "$image" --format '{{.Size}}')
base=$(sed -n 's/^FROM[[:space:]]\+\([^@[:space:]]*\).*/\1/p' Dockerfile | head -n1)
base_bytes=$(docker image inspect "$base" --format '{{.Size}}')
base_layers=$(docker history -q "$base" | wc -l)
own_layers=$(($(docker history -q "$image" | wc -l) - base_layers))
history_bytes=$(docker history --human=false --format '{{.Size}}' "$image" | head -n "$own_layers" | awk '{s += $1} END {print s}')
layer_mb=$(((image_bytes - base_bytes + 500000) / 1000000))
echo "image $image_bytes B, base $base ($base_bytes B): $own_layers layers add $((image_bytes - base_bytes)) B" \
  "(docker history: $history_bytes B)"
check "docker history's own layers add up to the size over the base" test "$history_bytes" -eq $((image_bytes - base_bytes))
check "image layers over the base: $layer_mb MB <= $max_layer_mb MB" test "$layer_mb" -le "$max_layer_mb"

say "the README's docker run command, against the emulator"
readme_pattern='docker run --rm .* zenodo-sync sync zenodo.yaml'
check "README.md has one docker run command" test "$(grep -cx "$readme_pattern" README.md)" -eq 1
readme_run=$(grep -x -m1 "$readme_pattern" README.md || echo false)
# The README builds with `docker build -t zenodo-sync .`; here that is gha-local build (digest pin
# dropped). This engine's containers reach 127.0.0.1 only on the host network: the one word added.
docker tag "$image" zenodo-sync
typed=${readme_run/docker run /docker run --network host }
echo "+ $typed"
dataset() { # dataset DIR: the example dataset, its endpoint the emulator
  mkdir -p "$1"
  (cd "$root/examples" && tar --exclude=./workflows --exclude=./.zenodo-record-id.txt -cf - .) | tar -C "$1" -xf -
  sed -i "s#^endpoint: .*#endpoint: $emulator#" "$1/zenodo.yaml"
}
dataset "$work/readme"
code=0
(cd "$work/readme" && ZENODO_TOKEN=$token bash -c "$typed") >"$work/readme.log" 2>&1 || code=$?
cat "$work/readme.log"
check "exit status 0" test "$code" -eq 0
check "the CLI's summary says created" grep -q '^status: created' "$work/readme.log"
check "the id file was written" test -s "$work/readme/.zenodo-record-id.txt"
is_draft() { # is_draft ID: the emulator holds a draft with that id
  curl -fsS "$emulator/_emulator/state" \
    | python3 -c 'import json, sys; sys.exit(0 if sys.argv[1] in json.load(sys.stdin)["drafts"] else 1)' "$1"
}
check "the draft is on the emulator" is_draft "$(cat "$work/readme/.zenodo-record-id.txt" 2>/dev/null || echo none)"

say "the release commit, as release.yml makes it"
version=$(sed -n 's/^__version__ = "\(.*\)"$/\1/p' zsync/_version.py)
src=$work/release-src
mkdir -p "$src"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' f; do [[ -e $f ]] && printf '%s\0' "$f"; done \
  | tar --null -T - -cf - | tar -C "$src" -xf -
git -C "$src" init -q -b main
git -C "$src" add -A
git -C "$src" -c user.name=Dev -c user.email=dev@example.org commit -q -m "zsync $version"
source_commit=$(git -C "$src" rev-parse HEAD)
python3 .github/release.py plan --version "$version" --repository "$repository" --registry "$registry" --repo "$src" \
  >"$work/plan.txt"
cat "$work/plan.txt"
IFS=, read -r -a image_tags <<<"$(sed -n 's/^image-tags=//p' "$work/plan.txt")"
digests=()
for ref in "${image_tags[@]}"; do
  docker tag "$image" "$ref"
  docker push "$ref" >"$work/push.log" 2>&1 || { cat "$work/push.log" >&2; exit 1; }
  digests+=("$(sed -n 's/.*digest: \(sha256:[0-9a-f]*\).*/\1/p' "$work/push.log")")
done
digest=${digests[0]}
check "every tag pushed names one manifest ($digest)" test "$(printf '%s\n' "${digests[@]}" | sort -u)" = "$digest"
python3 .github/release.py commit --version "$version" --repository "$repository" --registry "$registry" \
  --digest "$digest" --repo "$src"
release_commit=$(git -C "$src" rev-parse HEAD)
pinned="$registry/$repository@$digest"
check "the release commit changes only action.yml" \
  test "$(git -C "$src" diff --name-only "$source_commit" "$release_commit")" = action.yml
check "action.yml of the release names the image by digest" grep -qF "ZSYNC_IMAGE: \"$pinned\"" "$src/action.yml"
for tag in "v$version" $(sed -n 's/^moving-tags=//p' "$work/plan.txt" | tr , ' '); do
  check "tag $tag points at the release commit" test "$(git -C "$src" rev-parse "$tag^{commit}")" = "$release_commit"
done
# Forget every local name of the pushed image, so the Action has to pull it from the registry.
for ref in "${image_tags[@]}"; do docker rmi "$ref" >/dev/null; done
docker rmi "$pinned" >/dev/null 2>&1 || true # gone with the last tag of its repository
check "no local name for the release image is left" test -z "$(docker images -q "$registry/$repository")"

act_run() { # act_run NAME PROJECT ACT_ARGS...: one workflow run; its JSON log is $work/NAME.json
  local name=$1 project=$2 code=0
  shift 2
  echo "+ act $(printf '%s\n' "$*" | sed 's/\(-s [A-Z_]*\)=[^ ]*/\1=***/g')"
  "$gha" act --project "$project" --keep "$work/run-$name" --use-local "$repository" -- "$@" --json \
    --github-instance "$git_host" "${runner_labels[@]}" >"$work/$name.json" 2>&1 || code=$?
  harness render "$work/$name.json" >"$work/$name.log"
  grep -v '^\s*$' "$work/$name.log" | grep -v '::set-output::' | cut -c1-240
  echo "act exit status: $code"
  if [[ ! -s $work/$name.log ]]; then cat "$work/$name.json"; fi
  return 0
}
event() { # event NAME JSON: an event payload file
  printf '%s\n' "$2" >"$work/$1.json.event"
  echo "$work/$1.json.event"
}
repo_payload='"repository": {"full_name": "zsync-org/pond-data", "name": "pond-data", "default_branch": "main"}'

say "ci.yml: the action job"
ci=$work/p-ci
git clone -q "$src" "$ci"
git -C "$ci" remote set-url origin "$git_url/$repository.git"
act_run ci "$ci" push -W .github/workflows/ci.yml -j action -s "GITHUB_TOKEN=$gh_token" \
  -e "$(event ci '{"ref": "refs/heads/main", '"$repo_payload"'}')"
verdict harness check-ci --log "$work/ci.json" --emulator "$emulator" --image "$pinned" --github-token "$gh_token"

# The user's repository: the example dataset and the three example workflows, the Action from the
# release commit at its root (gha-local --use-local turns `uses: zsync-org/zenodo-sync@v1` into
# `uses: ./`), origin the HTTPS git server. The CA is in .git, which the checkout carries along.
user=$work/p-user
dataset "$user"
mkdir -p "$user/.github/workflows"
cp examples/workflows/*.yml "$user/.github/workflows/"
# gha-local's --use-local searches .github and examples/ and fails when either is missing.
mkdir -p "$user/examples"
echo "gha-local --use-local needs this folder to exist" >"$user/examples/README"
git -C "$src" archive "$release_commit" action.yml action Dockerfile .dockerignore requirements.lock entrypoint.py zsync \
  | tar -C "$user" -xf -
git -C "$user" init -q -b main
git -C "$user" add -A
git -C "$user" -c user.name=Dev -c user.email=dev@example.org commit -q -m "Pond dataset"
git -C "$user" push -q "$origin" main
git_remote() { # git_remote CLONE: origin is the HTTPS server, trusted through the CA in .git
  cp "$work/ca.pem" "$1/.git/zsync-test-ca.pem"
  git -C "$1" remote remove origin 2>/dev/null || true
  git -C "$1" remote add origin "$git_url/zsync-org/pond-data.git"
  git -C "$1" config "http.$git_url/.sslCAInfo" "$work/run-$2/.git/zsync-test-ca.pem"
}
git_remote "$user" push1
collaborate() { # collaborate MESSAGE [REF]: a commit by someone else, pushed to origin (main or REF)
  local clone=$work/collab
  [[ -d $clone ]] || git clone -q "$origin" "$clone"
  git -C "$clone" pull -q --ff-only origin main 2>/dev/null || true
  echo "$1" >>"$clone/MAINTAINERS.md"
  git -C "$clone" add MAINTAINERS.md
  git -C "$clone" -c user.name=Collaborator -c user.email=c@example.org commit -q -m "Collaborator: $1"
  git -C "$clone" push -q origin "HEAD:${2:-refs/heads/main}"
}
# The checkout is taken (the project above); then a commit lands on origin, and another one is ready
# for the git server to land the moment zsync starts pushing.
collaborate "after checkout"
collaborate "during the push" refs/collab/next

say "sync-on-push, run 1: creates the draft, pushes the record id through the race"
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
: >"$git_log"
push_event=$(event push '{"ref": "refs/heads/main", '"$repo_payload"'}')
act_run push1 "$user" push -W .github/workflows/sync-on-push.yml -e "$push_event" \
  -s "ZENODO_TOKEN=$token" -s "GITHUB_TOKEN=$gh_token"
verdict harness check-push --run 1 --log "$work/push1.json" --emulator "$emulator" --image "$pinned" \
  --origin "$origin" --git-log "$git_log"
record_id=$(harness output "$work/push1.json" zenodo record-id)

say "sync-on-push, run 2: nothing to do"
second=$work/p-second
git clone -q "$origin" "$second"
git_remote "$second" push2
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
: >"$git_log"
tip=$(git --git-dir "$origin" rev-parse main)
act_run push2 "$second" push -W .github/workflows/sync-on-push.yml -e "$push_event" \
  -s "ZENODO_TOKEN=$token" -s "GITHUB_TOKEN=$gh_token"
verdict harness check-push --run 2 --log "$work/push2.json" --emulator "$emulator" --image "$pinned" \
  --origin "$origin" --git-log "$git_log" --record-id "$record_id" --origin-tip "$tip"

say "sync-on-release: v1.1.0 after 1.0.0 was published"
curl -fsS -X POST "$emulator/_emulator/records/$record_id/publish" >/dev/null
rel=$work/p-release
git clone -q "$origin" "$rel"
printf '2026-06-01,14.2\n' >>"$rel/data/measurements.csv"
git -C "$rel" -c user.name=Dev -c user.email=dev@example.org commit -q -am "June measurements"
git -C "$rel" -c user.name=Dev -c user.email=dev@example.org tag -a v1.1.0 -m "v1.1.0"
git -C "$rel" push -q origin main v1.1.0
git -C "$rel" checkout -q --detach v1.1.0 # what actions/checkout does for a release
git_remote "$rel" release
tip=$(git --git-dir "$origin" rev-parse main)
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
act_run release "$rel" release -W .github/workflows/sync-on-release.yml \
  -e "$(event release '{"action": "published", "release": {"tag_name": "v1.1.0", "name": "v1.1.0", "draft": false, "prerelease": false}, '"$repo_payload"'}')" \
  -s "ZENODO_TOKEN=$token" -s "GITHUB_TOKEN=$gh_token"
verdict harness check-release --log "$work/release.json" --emulator "$emulator" --image "$pinned" \
  --origin "$origin" --previous-id "$record_id" --origin-tip "$tip"

# The two examples in one repository (README: Push and release together): zenodo.yaml stays 1.0.0.
release_id=$(harness output "$work/release.json" zenodo record-id)
say "sync-on-push beside the release: its draft 1.1.0 is open, zenodo.yaml says 1.0.0"
after=$work/p-after
git clone -q "$origin" "$after"
git_remote "$after" after-draft
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
act_run after-draft "$after" push -W .github/workflows/sync-on-push.yml -e "$push_event" \
  -s "ZENODO_TOKEN=$token" -s "GITHUB_TOKEN=$gh_token"
verdict harness check-push-after-release --stage draft --log "$work/after-draft.json" \
  --emulator "$emulator" --image "$pinned" --release-id "$release_id"

say "sync-on-push after the release was published: a changed file waits for the next release"
curl -fsS -X POST "$emulator/_emulator/records/$release_id/publish" >/dev/null
printf '2026-07-01,15.0\n' >>"$after/data/measurements.csv"
git -C "$after" -c user.name=Dev -c user.email=dev@example.org commit -q -am "July measurements"
git -C "$after" push -q "$origin" main
git_remote "$after" after-published
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
act_run after-published "$after" push -W .github/workflows/sync-on-push.yml -e "$push_event" \
  -s "ZENODO_TOKEN=$token" -s "GITHUB_TOKEN=$gh_token"
verdict harness check-push-after-release --stage published --log "$work/after-published.json" \
  --emulator "$emulator" --image "$pinned" --release-id "$release_id"

say "validate-pr: a pull request, no secrets"
pr=$work/p-pr
git clone -q "$origin" "$pr"
git_remote "$pr" pr-ok
pr_event=$(event pr '{"number": 7, "pull_request": {"number": 7, "head": {"ref": "more-data"}, "base": {"ref": "main"}}, '"$repo_payload"'}')
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
act_run pr-ok "$pr" pull_request -W .github/workflows/validate-pr.yml -e "$pr_event"
verdict harness check-validate --log "$work/pr-ok.json" --emulator "$emulator" --image "$pinned" \
  --origin "$origin" --origin-tip "$(git --git-dir "$origin" rev-parse main)"

say "validate-pr: a broken zenodo.yaml"
sed -i 's/^  resource_type: dataset$/  resource_type: datasett/' "$pr/zenodo.yaml"
bad_line=$(grep -n '^  resource_type: datasett$' "$pr/zenodo.yaml" | cut -d: -f1)
git -C "$pr" -c user.name=Dev -c user.email=dev@example.org commit -q -am "Typo"
git_remote "$pr" pr-broken
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
act_run pr-broken "$pr" pull_request -W .github/workflows/validate-pr.yml -e "$pr_event"
verdict harness check-validate --log "$work/pr-broken.json" --emulator "$emulator" --image "$pinned" \
  --origin "$origin" --origin-tip "$(git --git-dir "$origin" rev-parse main)" \
  --broken --line "${bad_line:-0}" --bad datasett

say "release.yml: the plan job (its image and tag jobs need ghcr.io and remote actions)"
plan_repo=$work/p-plan
git clone -q "$src" "$plan_repo"
git -C "$plan_repo" checkout -q -B main "$source_commit"
git -C "$plan_repo" tag -l | xargs -r git -C "$plan_repo" tag -d >/dev/null
git -C "$plan_repo" remote set-url origin "$git_url/$repository.git"
act_run plan "$plan_repo" workflow_dispatch -W .github/workflows/release.yml -j plan --input "version=$version"
verdict harness check-plan --log "$work/plan.json" --emulator "$emulator" --image "$pinned" \
  --tag "v$version" --moving "$(sed -n 's/^moving-tags=//p' "$work/plan.txt")"
act_run plan-refused "$plan_repo" workflow_dispatch -W .github/workflows/release.yml -j plan --input version=9.9.9
verdict harness check-plan --log "$work/plan-refused.json" --emulator "$emulator" --image "$pinned" \
  --tag v9.9.9 --moving "" --refused "zsync/_version.py says $version, not 9.9.9"

say "the image the runs pulled is the one gha-local build made"
check "$pinned is $image ($image_id)" test "$(docker image inspect "$pinned" --format '{{.Id}}' 2>/dev/null)" = "$image_id"

say "fallback: the release's image cannot be pulled, the Action builds its Dockerfile"
# As if the package were deleted or made private: the release commit names a digest the registry
# does not have (no local image answers to it either).
missing="$registry/$repository@sha256:$(printf 'missing %s' "$digest" | sha256sum | cut -d' ' -f1)"
check "the registry does not serve $missing" test "$(curl -s -o /dev/null -w '%{http_code}' \
  -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' "http://$registry/v2/$repository/manifests/${missing#*@}")" = 404
check "no local image answers to it" not docker image inspect "$missing"
fallback=$work/p-fallback
git clone -q "$origin" "$fallback"
sed -i "s|^        ZSYNC_IMAGE: \".*\"\$|        ZSYNC_IMAGE: \"$missing\"|" "$fallback/action.yml"
# The base by tag, as gha-local build does: no registry here can resolve its digest.
sed -i -E 's/^(FROM[[:space:]]+[^@[:space:]]+)@sha256:[0-9a-f]+/\1/' "$fallback/Dockerfile"
git -C "$fallback" -c user.name=Dev -c user.email=dev@example.org commit -q -am "Unpullable image, base by tag (offline)"
git_remote "$fallback" fallback
# act builds the generated context without network (this engine's build containers have none) and
# archives it from the uid-1001 workspace, so the layer cache of `gha-local build` does not match.
# Warm the cache once with the very context act will send: action/prepare.sh run as the runner's
# user in the runner image, archived by the engine, built with the host network (for pip).
warm=$(docker create --network host -v "$fallback:/action:ro" -e ZSYNC_ACTION_PATH=/action \
  -e GITHUB_WORKSPACE=/home/runner/ws "$runner_image" sh -c 'sh /action/action/prepare.sh && sleep 600')
docker start "$warm" >/dev/null
for _ in $(seq 100); do docker exec "$warm" test -f /home/runner/ws/.github/.tmp/zenodo-sync/Dockerfile 2>/dev/null && break; sleep 0.1; done
docker cp "$warm:/home/runner/ws/.github/.tmp/zenodo-sync/." - >"$work/warm.tar"
docker rm -f "$warm" >/dev/null
docker build -q --network host - <"$work/warm.tar" >/dev/null
curl -fsS -X DELETE "$emulator/_emulator/log" >/dev/null
act_run fallback "$fallback" pull_request -W .github/workflows/validate-pr.yml -e "$pr_event"
verdict harness check-fallback --log "$work/fallback.json" --emulator "$emulator" --image "$missing"

if ((failures)); then
  echo "act-workflows: $failures check(s) FAILED" >&2
  exit 1
fi
echo "act-workflows: every workflow ran green under act, all assertions passed (image layers: $layer_mb MB, $((SECONDS - t0)) s)"
