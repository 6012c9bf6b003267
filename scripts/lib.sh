# Shell helpers shared by ./ravioli, ./rav, ./test.sh and bench/. Source it; it defines functions only.

RAVIOLI_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"

log() { printf '%s\n' "$*" >&2; }

# Installs the Debian packages that are missing (first run on a fresh machine), quietly.
ensure_packages() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "Installing ${missing[*]} (first run only)..."
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  # Servers (postgresql, redis, mariadb, rabbitmq) must not start on their default ports as a side effect of
  # installing them: the platform starts its own, under its data directory. policy-rc.d tells the package scripts so.
  local policy=/usr/sbin/policy-rc.d own_policy=""
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee "$policy" >/dev/null && $sudo chmod 755 "$policy" && own_policy=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null || {
    [ -n "$own_policy" ] && $sudo rm -f "$policy"
    return 1
  }
  [ -n "$own_policy" ] && $sudo rm -f "$policy"
  return 0
}

ensure_dotnet() {
  command -v dotnet >/dev/null 2>&1 && return 0
  log "ravioli: the .NET SDK 10 is required (https://dot.net). Install it and run this again."
  exit 1
}

# True when any source file is newer than the stamp (or there is no stamp yet).
sources_changed() {
  local stamp="$1"
  [ -f "$stamp" ] || return 0
  [ -n "$(find "$RAVIOLI_ROOT/src" "$RAVIOLI_ROOT"/Directory.*.props "$RAVIOLI_ROOT/global.json" -newer "$stamp" \
      \( -name '*.cs' -o -name '*.csproj' -o -name '*.props' -o -name '*.json' -o -name '*.cshtml' \) \
      -not -path '*/bin/*' -not -path '*/obj/*' -print -quit)" ]
}

# Builds a project in Release when its sources changed since the last build.
build_if_needed() {
  local project="$1" name
  name="$(basename "$project" .csproj)"
  local stamp="$RAVIOLI_ROOT/.build/$name.stamp"
  if sources_changed "$stamp"; then
    log "Building $name..."
    mkdir -p "$RAVIOLI_ROOT/.build"
    local out
    # Quiet on success; on failure show what the compiler said.
    if ! out="$(dotnet build "$RAVIOLI_ROOT/$project" -c Release --nologo -v q 2>&1)"; then
      printf '%s\n' "$out" >&2
      log "Build of $name failed."
      exit 1
    fi
    touch "$stamp"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

# Starts a throwaway PostgreSQL cluster in DIR on PORT (trust auth, loopback only).
pg_start() {
  local dir="$1" port="$2" bin
  bin="$(pg_bin)"
  install -d -o postgres -m 0700 "$dir"
  su postgres -c "$bin/initdb -D '$dir/data' -A trust -U postgres --no-sync -E UTF8" >/dev/null
  su postgres -c "$bin/pg_ctl -D '$dir/data' -o \"-p $port -k '$dir' -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200\" -l '$dir/log' -w start" >/dev/null
}

pg_stop() {
  local dir="$1" bin
  bin="$(pg_bin)"
  [ -d "$dir/data" ] && su postgres -c "$bin/pg_ctl -D '$dir/data' -m fast -w stop" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
