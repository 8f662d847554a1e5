#!/usr/bin/env bash
# Starts or stops the Pub/Sub emulator (gcloud beta emulators pubsub) on
# 127.0.0.1:$PORT, in its own process group so that stopping it also stops
# its Java child.
#
#   scripts/pubsub-emulator.sh start [PORT]   # prints PUBSUB_EMULATOR_HOST=...
#   scripts/pubsub-emulator.sh stop [PORT]
set -euo pipefail
cmd=${1:?start or stop}
port=${2:-8085}
state="${TMPDIR:-/tmp}/clickstream-pubsub-emulator-$port"

case "$cmd" in
start)
  if ! command -v gcloud >/dev/null; then
    echo "gcloud not found: install the Google Cloud CLI with the beta and pubsub-emulator components" >&2
    exit 1
  fi
  if [ -f "$state.pid" ] && kill -0 "$(cat "$state.pid")" 2>/dev/null; then
    echo "PUBSUB_EMULATOR_HOST=127.0.0.1:$port"
    exit 0
  fi
  setsid gcloud beta emulators pubsub start --host-port="127.0.0.1:$port" --quiet >"$state.log" 2>&1 &
  echo $! >"$state.pid"
  for _ in $(seq 1 120); do
    if curl -fsS "http://127.0.0.1:$port/" >/dev/null 2>&1; then
      echo "PUBSUB_EMULATOR_HOST=127.0.0.1:$port"
      exit 0
    fi
    if ! kill -0 "$(cat "$state.pid")" 2>/dev/null; then
      echo "the Pub/Sub emulator exited; its log:" >&2
      cat "$state.log" >&2
      exit 1
    fi
    sleep 0.5
  done
  echo "the Pub/Sub emulator did not answer on 127.0.0.1:$port within 60s; its log:" >&2
  cat "$state.log" >&2
  exit 1
  ;;
stop)
  if [ -f "$state.pid" ]; then
    kill -- -"$(cat "$state.pid")" 2>/dev/null || true
    rm -f "$state.pid"
  fi
  ;;
*)
  echo "usage: $0 start|stop [PORT]" >&2
  exit 2
  ;;
esac
