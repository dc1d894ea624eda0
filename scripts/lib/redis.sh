# shellcheck shell=bash
# Helpers to run a private redis-server for Vigil's scripts and tests.
# Source this file; it defines:
#   vigil_free_port            prints a free TCP port on 127.0.0.1
#   vigil_start_redis DIR      starts redis-server with its data in DIR (created) and exports
#                              VIGIL_REDIS_PID and VIGIL_REDIS_PORT; its log is DIR/redis.log.
#                              It requires a password, kept in DIR/redis.password (mode 600,
#                              made once) and set in the shell variable vigil_redis_password,
#                              which is not exported: the caller hands it to whom it chooses.
#   vigil_stop_redis           shuts that server down cleanly (safe to call more than once)

vigil_free_port() {
    if command -v python3 >/dev/null 2>&1; then
        python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()' && return 0
    fi
    # Fallback: probe random high ports until one refuses connections.
    local port i
    for ((i = 0; i < 100; i++)); do
        port=$((20000 + RANDOM % 40000))
        if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "vigil_free_port: no free port found on 127.0.0.1" >&2
    return 1
}

# True while pid runs (a zombie, exited but not yet reaped, does not count).
_vigil_pid_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [[ "${stat%% *}" != Z ]]
}

# Waits up to timeout seconds for pid to end, whether or not it is a child of this shell,
# and reaps it if it is one.
_vigil_wait_pid() {
    local pid=$1 timeout=${2:-30} i
    for ((i = 0; i < timeout * 10; i++)); do
        _vigil_pid_running "$pid" || break
        sleep 0.1
    done
    _vigil_pid_running "$pid" && return 1
    wait "$pid" 2>/dev/null || true
    return 0
}

# redis-cli with a time limit (it has none of its own), carriage returns removed. Always
# succeeds (callers look at the output), so it is safe under `set -e -o pipefail`.
_vigil_redis_cli() {
    local port=$1
    shift
    # REDISCLI_AUTH, not -a: the password stays off the command line.
    REDISCLI_AUTH=${vigil_redis_password:-} timeout 2 redis-cli -p "$port" "$@" 2>/dev/null |
        tr -d '\r' || true
}

# The private server's password: DIR/redis.password, made on first use (readable by this user
# only), and the server's config file DIR/redis.conf holding it, so that it appears on no
# command line.
_vigil_redis_secret() {
    local dir=$1 file="$1/redis.password"
    if [[ ! -s "$file" ]]; then
        (umask 077 && head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$file") || return 1
    fi
    vigil_redis_password=$(<"$file")
    (umask 077 && printf 'requirepass %s\n' "$vigil_redis_password" >"$dir/redis.conf") || return 1
}

vigil_start_redis() {
    local dir=${1:?usage: vigil_start_redis DIR}
    if ! command -v redis-server >/dev/null 2>&1 || ! command -v redis-cli >/dev/null 2>&1; then
        echo "vigil_start_redis: redis-server/redis-cli not found (run scripts/setup)" >&2
        return 1
    fi
    mkdir -p "$dir" || return 1
    dir=$(cd "$dir" && pwd) || return 1

    local pidfile="$dir/redis.pid" log="$dir/redis.log"
    _vigil_redis_secret "$dir" || return 1
    if [[ -s "$pidfile" ]]; then
        local old
        old=$(<"$pidfile")
        if [[ "$old" =~ ^[0-9]+$ ]] && _vigil_pid_running "$old" &&
            grep -q redis "/proc/$old/comm" 2>/dev/null; then
            echo "vigil_start_redis: another redis-server (pid $old) is using $dir; stop it first" >&2
            return 1
        fi
        rm -f "$pidfile"
    fi

    local attempt port pid pong deadline
    for attempt in 1 2 3; do
        port=$(vigil_free_port) || return 1
        # setsid: a Ctrl-C in the terminal must not reach Redis directly; the caller stops it
        # after the processes that use it. --wait: if setsid has to fork (when started from an
        # interactive shell), $! stays alive exactly as long as redis-server.
        setsid --wait redis-server "$dir/redis.conf" --port "$port" --bind 127.0.0.1 --dir "$dir" \
            --appendonly yes --save '' --daemonize no --pidfile "$pidfile" \
            </dev/null >>"$log" 2>&1 &
        pid=$!
        pong=""
        deadline=$((SECONDS + 10))
        while ((SECONDS < deadline)); do
            # Our process must still run: a PONG from whatever else holds the port is not ours.
            _vigil_pid_running "$pid" || break
            pong=$(_vigil_redis_cli "$port" ping)
            if [[ "$pong" == PONG ]] &&
                [[ "$(_vigil_redis_cli "$port" config get dir | sed -n 2p)" == "$dir" ]]; then
                break
            fi
            pong=""
            sleep 0.2
        done
        if [[ "$pong" == PONG ]]; then
            # The server's own pid, in case setsid forked.
            local real
            real=$(_vigil_redis_cli "$port" info server | sed -n 's/^process_id://p')
            _VIGIL_REDIS_LAUNCHER=$pid
            [[ "$real" =~ ^[0-9]+$ ]] && pid=$real
            export VIGIL_REDIS_PID=$pid VIGIL_REDIS_PORT=$port
            echo "redis: started on 127.0.0.1:$port (pid $pid, data in $dir)"
            return 0
        fi
        if _vigil_pid_running "$pid"; then
            kill "$pid" 2>/dev/null || true
            _vigil_wait_pid "$pid" 5 || kill -9 "$pid" 2>/dev/null || true
            echo "vigil_start_redis: redis-server on port $port did not answer PING within 10 s" >&2
            tail -n 20 "$log" >&2 || true
            return 1
        fi
        # It exited: most likely the port was taken in the meantime; try another one.
        _vigil_wait_pid "$pid" 1 || true
        echo "vigil_start_redis: redis-server exited at start (attempt $attempt); log $log:" >&2
        tail -n 5 "$log" >&2 || true
    done
    echo "vigil_start_redis: could not start redis-server" >&2
    return 1
}

vigil_stop_redis() {
    local pid=${VIGIL_REDIS_PID:-} port=${VIGIL_REDIS_PORT:-}
    [[ -n "$pid" ]] || return 0
    if _vigil_pid_running "$pid"; then
        # SHUTDOWN flushes the AOF; redis-cli reports an error when the connection closes,
        # which is the expected outcome.
        if [[ -n "$port" ]]; then
            _vigil_redis_cli "$port" shutdown >/dev/null || true
        fi
        if ! _vigil_wait_pid "$pid" 10; then
            echo "redis: pid $pid did not stop after SHUTDOWN; sending SIGTERM" >&2
            kill "$pid" 2>/dev/null || true
            _vigil_wait_pid "$pid" 10 || kill -9 "$pid" 2>/dev/null || true
        fi
        echo "redis: stopped (port $port)"
    fi
    # Reap the started process (redis-server itself, or setsid if it forked).
    _vigil_wait_pid "${_VIGIL_REDIS_LAUNCHER:-$pid}" 5 || true
    unset VIGIL_REDIS_PID VIGIL_REDIS_PORT _VIGIL_REDIS_LAUNCHER
}
