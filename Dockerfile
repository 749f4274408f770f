# The zsync container image: the GitHub Action (runs.using: docker) and `docker run ... sync zenodo.yaml`.
#
# Runs as root on purpose: GitHub mounts the workspace owned by the runner's uid (1001) and runs the
# container as root; a non-root user here could neither write GITHUB_OUTPUT nor commit the record id.
# The digest is the multi-arch index of python:3.12-slim; bump it (docker buildx imagetools inspect
# python:3.12-slim) together with requirements.lock.
FROM python:3.12-slim@sha256:78387bc3881b8273120a12ebe6c1ab22b018ccc2c9adf565ae1ac9b536e184ea

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# git commits and pushes the record-id file. Unpinned: Debian's security updates retire exact versions
# within weeks, and the base digest already fixes the Debian release. To stay small (about 20 MB instead
# of 85), the image drops what zsync never runs: git's perl dependency (it serves git-svn, send-email
# and similar scripts only; dpkg is told to ignore the broken dependency), git's manuals and docs, and
# the server-side and mail helpers. Kept: git itself and git-remote-http(s) for pushing.
# hadolint ignore=DL3008
RUN apt-get update \
 && apt-get install -y --no-install-recommends git \
 && dpkg-query -W -f='${Package}\n' 'perl-modules-*' 'libperl5*' \
    | xargs dpkg --purge --force-depends git-man liberror-perl perl \
 && rm -f /usr/lib/git-core/git-daemon /usr/lib/git-core/git-http-backend /usr/lib/git-core/git-http-fetch \
          /usr/lib/git-core/git-http-push /usr/lib/git-core/git-imap-send /usr/lib/git-core/git-shell \
          /usr/lib/git-core/scalar /usr/share/locale/*/LC_MESSAGES/git.mo \
 && rm -rf /usr/share/doc/git /usr/share/git-core/templates/hooks \
 && apt-get clean \
 && rm -rf /var/lib/apt/lists/* /var/log/apt /var/log/dpkg.log /var/cache/debconf/*-old \
 && git --version

COPY requirements.lock /tmp/requirements.lock
RUN pip install --require-hashes --no-deps --only-binary=:all: -r /tmp/requirements.lock \
 && rm /tmp/requirements.lock

# zsync itself is copied, not pip-installed: building it would fetch setuptools unpinned and unhashed.
# /app is the script's folder, so it is on sys.path and `import zsync` finds /app/zsync.
COPY zsync/ /app/zsync/
COPY entrypoint.py /app/entrypoint.py
RUN python -m compileall -q /app

# An absolute interpreter: a workflow may set PATH to anything (the CI runs it with PATH=utter-nonsense).
ENTRYPOINT ["/usr/local/bin/python", "/app/entrypoint.py"]
