# Shared steps of scripts/run, scripts/test and .ci/run. Source it; do not run it.

PYTHON="${PYTHON:-python3.11}"
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3

# Each step with the seconds since the script started, so a slow first start shows where.
log() { printf '\033[1;34m==>\033[0m [%ss] %s\n' "$SECONDS" "$*"; }

# Create a virtual environment (when missing) and bring its pip to the pinned, hashed version
# of requirements-pip.txt: the pip a new venv brings may be too old to read the hashed locks.
new_venv() {
  local venv="$1"
  [ -x "$venv/bin/python" ] || "$PYTHON" -m venv "$venv"
  if [ ! -f "$venv/.installed-pip" ] || [ requirements-pip.txt -nt "$venv/.installed-pip" ]; then
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
      -r requirements-pip.txt
    touch "$venv/.installed-pip"
  fi
}

# Create .venv if needed and install the given lock file (every package pinned and hashed:
# pip refuses anything whose hash differs) when it changed.
ensure_venv() {
  local req="$1" stamp
  [ -x .venv/bin/python ] || log "creating the virtual environment in .venv"
  new_venv .venv
  stamp=".venv/.installed-$(basename "$req")"
  if [ ! -f "$stamp" ] || [ -n "$(find requirements*.txt -newer "$stamp")" ]; then
    log "installing Python packages from $req"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --require-hashes \
      -r "$req"
    touch "$stamp"
  fi
}

ensure_chromium() {
  if command -v chromium >/dev/null 2>&1 || [ -x "${CHROMIUM:-/usr/bin/chromium}" ]; then
    return
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "Chromium is missing: install Debian's 'chromium' package (needs root)." >&2
    exit 1
  fi
  log "installing Debian's chromium for the browser tests"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
}

ensure_postgres() {
  if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    return
  fi
  if command -v pg_ctlcluster >/dev/null 2>&1; then
    log "starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && return
    sleep 1
  done
  echo "PostgreSQL is not reachable on 127.0.0.1:5432." >&2
  exit 1
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
    return
  fi
  if command -v redis-server >/dev/null 2>&1; then
    log "starting Redis"
    mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
      --dir /tmp --logfile /tmp/redis-hub.log
  fi
  for _ in $(seq 1 30); do
    redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && return
    sleep 1
  done
  echo "Redis is not reachable on 127.0.0.1:6379." >&2
  exit 1
}

# The npm packages of package.json: `ensure_node_tools run` installs its dependencies alone
# (the anvil chain node, all the run command needs), `ensure_node_tools test` its
# devDependencies too (ipfs-car, @helia/verified-fetch, axe-core: the suite's clients). Installs
# Node.js from Debian when npm is missing and the script runs as root.
ensure_node_tools() {
  local what="$1" all="node_modules/.installed" run="node_modules/.installed-run"
  if ! command -v npm >/dev/null 2>&1; then
    if [ "$(id -u)" != 0 ]; then
      echo "npm is missing: install Node.js 18 or newer with npm." >&2
      exit 1
    fi
    log "installing Debian's nodejs and npm"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
  fi
  fresh() { [ -f "$1" ] && ! [ package-lock.json -nt "$1" ]; }
  if fresh "$all" || { [ "$what" = run ] && fresh "$run"; }; then
    return
  fi
  if [ "$what" = run ]; then
    log "installing npm packages (anvil)"
    npm ci --omit=dev --no-audit --no-fund --loglevel=error >/dev/null
    touch "$run"
  else
    log "installing npm packages (anvil, ipfs-car, @helia/verified-fetch, axe-core)"
    npm ci --no-audit --no-fund --loglevel=error >/dev/null
    touch "$all" "$run"
  fi
}

# The hub's CLI (cli/, the `hub` command), installed into .venv as a publisher installs it
# (`pip install ./cli`), without its dependencies: those come pinned and hashed from the lock.
# Built with the locked setuptools (no build isolation), so nothing else is fetched.
ensure_cli() {
  local stamp=".venv/.installed-cli"
  if [ ! -f "$stamp" ] || [ -n "$(find cli/pyproject.toml cli/src -type f -newer "$stamp" \
      ! -path '*.egg-info/*' ! -path '*/__pycache__/*' -print -quit)" ]; then
    log "installing the hub CLI (./cli)"
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --no-deps \
      --no-build-isolation ./cli
    touch "$stamp"
  fi
}

# A client package the tests drive against the hub (the OpenGradient SDK, huggingface_hub)
# in a virtual environment of its own, so that its dependencies never meet the project's:
#   ensure_client_venv .venv-og tests/opengradient/requirements.txt "the OpenGradient SDK"
# Installs from the client's hashed lock, only when the lock changed.
ensure_client_venv() {
  local venv="$1" req="$2" what="$3" stamp="$1/.installed"
  if [ ! -x "$venv/bin/python" ]; then
    log "creating the virtual environment of $what in $venv"
    new_venv "$venv"
    echo '*' >"$venv/.gitignore" # git and ruff leave it alone, as Python 3.13's venv does
  fi
  new_venv "$venv"
  if [ ! -f "$stamp" ] || [ "$req" -nt "$stamp" ]; then
    log "installing $what from $req"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check --require-hashes \
      -r "$req"
    touch "$stamp"
  fi
}
