"""The release workflow's logic that needs no network (.github/workflows/release.yml runs it).

    plan    check the version to release against zsync/_version.py and the existing tags, and decide
            the image tags to push and the git tags to move: v1.2.3 always; v1.2 and v1 only when it
            is the highest release of that line (a patch of an older line moves neither).
    commit  make the release commit on top of HEAD: action.yml's ZSYNC_IMAGE names the image just
            pushed, by digest; tag it v1.2.3 (annotated) and move the planned tags to it. Every pin
            of the release -- @v1, @v1.2, @v1.2.3 or the commit's sha -- then runs that image.

The workflow pushes the tags; .ci/act-workflows.sh runs the same two commands offline, against a
registry on 127.0.0.1, to make the release commit its scenarios run. Standard library only.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

TAG_RE = re.compile(r"v(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)")
DIGEST_RE = re.compile(
    r"[a-z0-9]+(?:[._/-][a-z0-9]+)*(?::[0-9]+)?(?:/[a-z0-9]+(?:[._-][a-z0-9]+)*)+@sha256:[0-9a-f]{64}"
)
# The one line of action.yml a release commit changes (see the "Prepare the zsync container" step).
IMAGE_LINE_RE = re.compile(r'^(?P<indent>\s+)ZSYNC_IMAGE: "(?P<value>[^"]*)"$', re.MULTILINE)
BOT = ("github-actions[bot]", "41898282+github-actions[bot]@users.noreply.github.com")

Version = tuple[int, int, int]


class ReleaseError(Exception):
    """A release that must not happen; the message says why and what to do."""


@dataclass(frozen=True)
class Plan:
    tag: str
    image: str
    image_tags: tuple[str, ...]
    moving_tags: tuple[str, ...]

    def outputs(self) -> str:
        """GITHUB_OUTPUT lines (lists comma-separated, as docker/build-push-action's `tags` takes)."""
        return (
            f"tag={self.tag}\nimage={self.image}\n"
            f"image-tags={','.join(f'{self.image}:{t}' for t in self.image_tags)}\n"
            f"moving-tags={','.join(self.moving_tags)}\n"
        )


def parse_tag(tag: str) -> Version | None:
    """(1, 2, 3) for "v1.2.3"; None for anything else (v1, v1.2, 1.2.3, v1.2.3-rc1, v01.2.3)."""
    m = TAG_RE.fullmatch(tag.strip())
    return (int(m[1]), int(m[2]), int(m[3])) if m else None


def parse_version(text: str) -> Version:
    version = parse_tag(f"v{text.strip().removeprefix('v')}")
    if version is None:
        raise ReleaseError(f"version {text!r} is not MAJOR.MINOR.PATCH (for example 1.2.3)")
    return version


def package_version(version_file: Path) -> str:
    m = re.search(r'^__version__ = "([^"]+)"$', version_file.read_text(encoding="utf-8"), re.MULTILINE)
    if not m:
        raise ReleaseError(f"{version_file} has no __version__ line")
    return m[1]


def plan(version_text: str, *, package: str, existing_tags: list[str], image: str) -> Plan:
    """The tags of releasing `version_text`, given the repository's tags; ReleaseError if it must not be."""
    version = parse_version(version_text)
    tag = "v{}.{}.{}".format(*version)
    if version != parse_version(package):
        raise ReleaseError(
            f"zsync/_version.py says {package}, not {version_text}: raise it (and merge) before releasing"
        )
    releases = {v for t in existing_tags if (v := parse_tag(t)) is not None}
    if version in releases:
        raise ReleaseError(f"{tag} is already released; release a higher version")
    same_minor = [v for v in releases if v[:2] == version[:2]]
    if any(v > version for v in same_minor):
        raise ReleaseError(
            f"{tag} is lower than {'v{}.{}.{}'.format(*max(same_minor))}, already released on its line"
        )
    moving = [f"v{version[0]}.{version[1]}"]  # the highest of its minor line, by the check above
    if not any(v > version for v in releases if v[0] == version[0]):
        moving.append(f"v{version[0]}")
    return Plan(tag=tag, image=image.lower(), image_tags=(tag, *moving), moving_tags=tuple(moving))


def pin_image(action_text: str, image: str) -> str:
    """action.yml with ZSYNC_IMAGE set to `image`, which must be NAME@sha256:<digest>."""
    if not DIGEST_RE.fullmatch(image):
        raise ReleaseError(f"{image!r} is not an image by digest (NAME@sha256:<64 hex digits>)")
    lines = IMAGE_LINE_RE.findall(action_text)
    if len(lines) != 1:
        raise ReleaseError(f'action.yml has {len(lines)} lines `ZSYNC_IMAGE: "..."`, not exactly one')
    if lines[0][1]:
        raise ReleaseError(f"action.yml already names an image ({lines[0][1]}): release from a source commit")
    return IMAGE_LINE_RE.sub(lambda m: f'{m["indent"]}ZSYNC_IMAGE: "{image}"', action_text)


def _git(repo: Path, *args: str) -> str:
    env_args = ["-c", f"user.name={BOT[0]}", "-c", f"user.email={BOT[1]}", "-c", "commit.gpgsign=false"]
    env_args += ["-c", "tag.gpgsign=false"]
    proc = subprocess.run(
        ["git", *env_args, "-C", str(repo), *args], capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        raise ReleaseError(f"git {' '.join(args)} failed: {(proc.stderr or proc.stdout).strip()}")
    return proc.stdout.strip()


def commit_release(repo: Path, release: Plan, image: str) -> str:
    """Commit the pinned action.yml on HEAD, tag it; returns the release commit's sha."""
    action = repo / "action.yml"
    action.write_text(pin_image(action.read_text(encoding="utf-8"), image), encoding="utf-8")
    _git(repo, "add", "action.yml")
    _git(repo, "commit", "-q", "-m", f"Release {release.tag}: run the prebuilt image\n\n{image}")
    _git(repo, "tag", "-a", release.tag, "-m", f"zsync {release.tag[1:]}\n\nImage: {image}")
    for tag in release.moving_tags:
        _git(repo, "tag", "-f", tag)
    return _git(repo, "rev-parse", "HEAD")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("plan", "commit"):
        p = sub.add_parser(name)
        p.add_argument("--version", required=True, help="the version to release: 1.2.3")
        p.add_argument("--repository", required=True, help="OWNER/NAME on GitHub")
        p.add_argument("--registry", default="ghcr.io")
        p.add_argument("--repo", type=Path, default=Path("."), help="the checkout (default .)")
        if name == "commit":
            p.add_argument("--digest", required=True, help="sha256:... of the pushed image (its index)")
    args = parser.parse_args(argv)
    repo: Path = args.repo
    try:
        tags = _git(repo, "tag", "--list").splitlines()
        release = plan(
            args.version,
            package=package_version(repo / "zsync" / "_version.py"),
            existing_tags=tags,
            image=f"{args.registry}/{args.repository}",
        )
        if args.command == "plan":
            sys.stdout.write(release.outputs())
        else:
            sha = commit_release(repo, release, f"{release.image}@{args.digest}")
            print(f"release commit {sha}: {release.tag} {' '.join(release.moving_tags)}")
    except ReleaseError as exc:
        print(f"release: error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
