#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests: `.ci/postgres.sh start` prints
#   export SPMOPT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:PORT/spmopt_test
# (use it as `eval "$(.ci/postgres.sh start)"`); `.ci/postgres.sh stop` stops it and deletes its
# data folder. The server listens on 127.0.0.1 only, trusts local connections and keeps its data
# in $SPMOPT_PG_DIR (default /tmp/spmopt-postgres). Installs Debian's postgresql when missing.
set -euo pipefail
DIR="${SPMOPT_PG_DIR:-/tmp/spmopt-postgres}"
PORT="${SPMOPT_PG_PORT:-55432}"
DB=spmopt_test

find_bin() {
    local d
    for d in /usr/lib/postgresql/*/bin; do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
    done
    if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
        dirname "$(command -v initdb)"; return 0
    fi
    return 1
}

as_owner() {
    # initdb and postgres refuse to run as root: run them as the postgres user then.
    if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start() {
    local bin
    if ! bin="$(find_bin)"; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "postgres.sh: installing postgresql with apt-get" >&2
            apt-get update -qq >&2
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
            bin="$(find_bin)"
        else
            echo "postgres.sh: PostgreSQL server binaries not found (apt-get install postgresql)" >&2
            exit 1
        fi
    fi
    if [ "$(id -u)" = 0 ] && ! id postgres >/dev/null 2>&1; then
        useradd --system --home-dir "$DIR" --shell /usr/sbin/nologin postgres
    fi
    if [ -f "$DIR/data/postmaster.pid" ]; then stop >/dev/null 2>&1 || true; fi
    local tries=0
    while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do  # port taken: try the next one
        PORT=$((PORT + 1)); tries=$((tries + 1))
        if [ "$tries" -gt 50 ]; then echo "postgres.sh: no free port" >&2; exit 1; fi
    done
    rm -rf "$DIR"
    mkdir -p "$DIR"
    [ "$(id -u)" = 0 ] && chown postgres "$DIR"
    as_owner "$bin/initdb" -D "$DIR/data" -U postgres -A trust -E UTF8 --no-locale >"$DIR/initdb.log" 2>&1 || {
        cat "$DIR/initdb.log" >&2; exit 1; }
    as_owner "$bin/pg_ctl" -D "$DIR/data" -l "$DIR/server.log" -w -t 60 \
        -o "-c listen_addresses=127.0.0.1 -p $PORT -k $DIR -c fsync=off -c full_page_writes=off" \
        start >&2 || { cat "$DIR/server.log" >&2; exit 1; }
    "$bin/psql" -h 127.0.0.1 -p "$PORT" -U postgres -d postgres -qAt \
        -c "CREATE DATABASE $DB" >&2
    echo "export SPMOPT_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:$PORT/$DB"
}

stop() {
    local bin
    bin="$(find_bin)" || return 0
    if [ -d "$DIR/data" ]; then
        as_owner "$bin/pg_ctl" -D "$DIR/data" -m fast -w stop >&2 || true
    fi
    rm -rf "$DIR"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
