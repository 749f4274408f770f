#!/bin/sh
# The composite action's first step (see action.yml): choose the image zsync runs in, and write the
# Docker action that runs it to $GITHUB_WORKSPACE/.github/.tmp/zenodo-sync, where the next step's
# `uses:` finds it (a composite can run a local action only by a path in the workspace).
#
#   ZSYNC_IMAGE set (a release commit: NAME@sha256:DIGEST, written by .github/release.py)
#       pull it; the runner then runs exactly that image, verified by its digest. If it cannot be
#       pulled (registry down, package deleted or private), warn and build the Dockerfile instead.
#   ZSYNC_IMAGE empty (a branch, an unreleased commit, a fork)
#       build the Dockerfile shipped with the action, as a plain Docker action would.
#
# POSIX sh, standard tools only: it runs on the runner itself, before any container exists.
# Output `image`: the image reference, or "Dockerfile".
set -eu
# A workflow may set PATH to anything: its entries stay first, the standard places follow.
PATH="${PATH:+$PATH:}/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
export PATH

action_path=${ZSYNC_ACTION_PATH:?ZSYNC_ACTION_PATH is not set (github.action_path)}
workspace=${GITHUB_WORKSPACE:?GITHUB_WORKSPACE is not set: run this as a step of a workflow}
image=${ZSYNC_IMAGE:-}
target=$workspace/.github/.tmp/zenodo-sync # the `uses:` path of action.yml's last step
attempts=3

if ! command -v docker >/dev/null 2>&1; then
  echo "::error title=zsync needs Docker::zsync runs in a container and this runner has no docker command. Use a GitHub-hosted Linux runner (runs-on: ubuntu-latest) or install Docker on yours."
  exit 1
fi

if [ -n "$image" ]; then
  # Only a digest pins content; a tag could be moved to another image after the release.
  digest=${image##*@sha256:}
  case $image in
    *@sha256:*) ;;
    *) digest="" ;;
  esac
  case $digest in
    *[!0-9a-f]* | "") digest="" ;;
  esac
  if [ "${#digest}" -ne 64 ]; then
    echo "::error title=zsync: bad prebuilt image::ZSYNC_IMAGE in action.yml is '$image', not NAME@sha256:<64 hex digits>. A release commit names its image by digest; report this to the zsync maintainers."
    exit 1
  fi
fi

pulled=""
if [ -n "$image" ]; then
  if docker image inspect "$image" >/dev/null 2>&1; then
    pulled=yes
  else
    attempt=1
    while [ "$attempt" -le "$attempts" ]; do
      if error=$(docker pull --quiet "$image" 2>&1 >/dev/null); then
        pulled=yes
        break
      fi
      if [ "$attempt" -lt "$attempts" ]; then sleep $((attempt * 5)); fi
      attempt=$((attempt + 1))
    done
    if [ -z "$pulled" ]; then
      # One line: the runner shows an annotation's first line only.
      error=$(printf '%s' "$error" | tr '\n' ' ')
      echo "::warning title=zsync: building from source::The prebuilt image $image could not be pulled ($error). Building it from the action's Dockerfile instead, which takes about a minute."
    fi
  fi
fi

rm -rf "$target"
mkdir -p "$target"
# Never committed, never listed by git status in the user's repository.
printf '*\n' >"$target/.gitignore"
if [ -n "$pulled" ]; then
  chosen=$image
  sed "s|^  image: \"Dockerfile\"\$|  image: \"docker://$image\"|" "$action_path/action/docker-action.yml" >"$target/action.yml"
  line="  image: \"docker://$image\""
  echo "zsync runs in the release's prebuilt image $image (verified by its digest)."
else
  chosen=Dockerfile
  cp "$action_path/action/docker-action.yml" "$target/action.yml"
  # The build context: what .dockerignore lets in, and .dockerignore itself.
  cp -R "$action_path/Dockerfile" "$action_path/.dockerignore" "$action_path/requirements.lock" \
    "$action_path/entrypoint.py" "$action_path/zsync" "$target/"
  line='  image: "Dockerfile"'
  if [ -z "$image" ]; then
    echo "zsync builds its image from the action's Dockerfile (this commit is not a release)."
  fi
fi
if ! grep -qxF "$line" "$target/action.yml"; then
  echo "::error title=zsync: internal error::$target/action.yml does not say $line"
  exit 1
fi
if [ -n "${GITHUB_OUTPUT:-}" ]; then
  echo "image=$chosen" >>"$GITHUB_OUTPUT"
fi
