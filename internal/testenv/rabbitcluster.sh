#!/usr/bin/env bash
# rabbitcluster.sh: a throwaway 3-node RabbitMQ cluster on this machine, for
# the runtime's cluster test (runtime/cluster_test.go) and CI (.ci/run).
#
# The nodes run BESIDE the machine's own RabbitMQ (rabbit@<host> on 5672),
# never touching it: each has its own node name (evgen-c1@localhost ...),
# AMQP port (5681-5683), distribution port (25681-25683), data, log, pid,
# config and plugins files under one temporary directory, no plugins (so no
# management or prometheus listener), its own env file (so
# /etc/rabbitmq/rabbitmq-env.conf, which names the shared node, is not
# read) and a cookie of its own. Every rabbitmqctl call names its node
# with -n.
#
#   rabbitcluster.sh start            start the nodes in parallel, join them
#                                     to evgen-c1, print the AMQP URLs
#   rabbitcluster.sh stop             stop every node and delete the directory
#   rabbitcluster.sh urls             print the comma-separated AMQP URLs
#   rabbitcluster.sh stop-node N      stop node N (1-3), keep its data
#   rabbitcluster.sh start-node N     start node N again; it rejoins
#   rabbitcluster.sh ctl N ARGS...    rabbitmqctl ARGS against node N
#   rabbitcluster.sh queues N ARGS... rabbitmq-queues ARGS against node N
#
# EVGEN_CLUSTER_DIR sets the directory (default $TMPDIR/evgen-rabbitcluster).
set -euo pipefail

nodes=(1 2 3)
dir=${EVGEN_CLUSTER_DIR:-${TMPDIR:-/tmp}/evgen-rabbitcluster}

# bin finds the RabbitMQ scripts themselves. Debian's /usr/sbin wrappers
# switch to the rabbitmq user through su, which resets HOME (and so the
# cookie); the scripts under /usr/lib/rabbitmq/bin run as the caller.
bin() {
  if [ -x "/usr/lib/rabbitmq/bin/$1" ]; then
    echo "/usr/lib/rabbitmq/bin/$1"
  else
    command -v "$1"
  fi
}

name() { echo "evgen-c$1@localhost"; }
port() { echo $((5680 + $1)); }

url() { echo "amqp://guest:guest@127.0.0.1:$(port "$1")/"; }

urls() {
  local out=() n
  for n in "${nodes[@]}"; do out+=("$(url "$n")"); done
  (IFS=,; echo "${out[*]}")
}

# node runs a command in node $1's environment.
node() {
  local n=$1 d="$dir/c$1"
  shift
  env HOME="$dir" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" \
    RABBITMQ_NODENAME="$(name "$n")" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 \
    RABBITMQ_NODE_PORT="$(port "$n")" \
    RABBITMQ_DIST_PORT=$((25680 + n)) \
    RABBITMQ_MNESIA_BASE="$d/mnesia" \
    RABBITMQ_LOG_BASE="$d/log" \
    RABBITMQ_PID_FILE="$d/pid" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_CONFIG_FILE="$d/rabbitmq.conf" \
    RABBITMQ_ADVANCED_CONFIG_FILE="$d/advanced.config" \
    ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    "$@"
}

ctl() { local n=$1; shift; node "$n" "$(bin rabbitmqctl)" -q -n "$(name "$n")" "$@"; }

prepare() {
  mkdir -p "$dir"
  : >"$dir/rabbitmq-env.conf"
  echo '[].' >"$dir/enabled_plugins"
  if [ ! -f "$dir/.erlang.cookie" ]; then
    (umask 077; head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$dir/.erlang.cookie")
  fi
  local n
  for n in "${nodes[@]}"; do
    mkdir -p "$dir/c$n/mnesia" "$dir/c$n/log"
    cat >"$dir/c$n/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$(port "$n")
log.console = false
log.file.level = info
EOF
  done
}

# start_node starts node $1 in the background and waits until it runs.
start_node() {
  local n=$1
  node "$n" "$(bin rabbitmq-server)" -detached >>"$dir/c$n/log/startup.log" 2>&1
  # wait, unlike await_startup, also waits for the VM to come up.
  if ! ctl "$n" wait "$dir/c$n/pid" --timeout 120 >/dev/null; then
    echo "node $(name "$n") did not start; the end of its logs:" >&2
    tail -n 20 "$dir/c$n/log/"*.log >&2 || true
    return 1
  fi
}

# stop_node stops node $1 and waits for its Erlang VM to exit, killing it
# by its own pid file if the orderly stop fails.
stop_node() {
  local n=$1 pidfile="$dir/c$1/pid"
  [ -d "$dir/c$n" ] || return 0
  if [ ! -f "$pidfile" ]; then
    # A VM whose start failed before it wrote its pid file may still run.
    ctl "$n" stop >/dev/null 2>&1 || true
    return 0
  fi
  if ! ctl "$n" stop "$pidfile" >/dev/null 2>&1; then
    local pid
    pid=$(cat "$pidfile" 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
      kill -9 "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$pidfile"
}

# wait_all waits for the background jobs $@ and fails if any failed.
wait_all() {
  local pid failed=0
  for pid in "$@"; do wait "$pid" || failed=1; done
  return $failed
}

# in_parallel runs "$1 N" for every node N given after it and fails if
# any failed.
in_parallel() {
  local f=$1 pids=() n
  shift
  for n in "$@"; do "$f" "$n" & pids+=($!); done
  wait_all "${pids[@]}"
}

stop_app() { ctl "$1" stop_app >/dev/null; }
start_app() { ctl "$1" start_app >/dev/null; }

# join_all joins nodes 2 and 3 to node 1. Only join_cluster runs one node
# at a time: two nodes joining at once race on the cluster's schema.
join_all() {
  local n
  in_parallel stop_app "${nodes[@]:1}" || return 1
  for n in "${nodes[@]:1}"; do
    if ! ctl "$n" join_cluster "$(name 1)" >/dev/null; then
      echo "node $(name "$n") could not join $(name 1)" >&2
      return 1
    fi
  done
  in_parallel start_app "${nodes[@]:1}"
}

start() {
  local t0=$SECONDS t1
  # Leftovers of a run that was killed before its teardown.
  if [ -d "$dir" ]; then stop; fi
  prepare
  # The first node starts the port mapper if the machine's broker has not;
  # then stop must end it too.
  epmd -names >/dev/null 2>&1 || touch "$dir/started-epmd"
  if ! in_parallel start_node "${nodes[@]}"; then stop; return 1; fi
  t1=$SECONDS
  if ! join_all; then stop; return 1; fi
  echo "rabbitcluster: 3 nodes started in $((t1 - t0))s, joined in $((SECONDS - t1))s ($dir)" >&2
  urls
}

stop() {
  local pids=() n
  for n in "${nodes[@]}"; do stop_node "$n" & pids+=($!); done
  wait_all "${pids[@]}" || true
  if [ -f "$dir/started-epmd" ]; then epmd -kill >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
}

check_node() {
  case ${1:-} in
  1 | 2 | 3) ;;
  *) echo "want a node number 1-3, got '${1:-}'" >&2; exit 2 ;;
  esac
}

cmd=${1:-}
shift || true
case $cmd in
start) start ;;
stop) stop ;;
urls) urls ;;
stop-node) check_node "${1:-}"; stop_node "$1" ;;
start-node) check_node "${1:-}"; start_node "$1" ;;
ctl) check_node "${1:-}"; ctl "$@" ;;
queues)
  check_node "${1:-}"
  n=$1; shift
  node "$n" "$(bin rabbitmq-queues)" -q -n "$(name "$n")" "$@"
  ;;
streams)
  check_node "${1:-}"
  n=$1; shift
  node "$n" "$(bin rabbitmq-streams)" -q -n "$(name "$n")" "$@"
  ;;
*)
  echo "usage: $0 start|stop|urls|stop-node N|start-node N|ctl N ARGS...|queues N ARGS...|streams N ARGS..." >&2
  exit 2
  ;;
esac
