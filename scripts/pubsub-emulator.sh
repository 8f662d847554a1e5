#!/usr/bin/env bash
# Starts or stops the Pub/Sub emulator (gcloud beta emulators pubsub) on
# 127.0.0.1:$PORT, in its own process group so that stopping it also stops
# its Java child.
#
#   scripts/pubsub-emulator.sh start [PORT]   # prints PUBSUB_EMULATOR_HOST=...
#   scripts/pubsub-emulator.sh stop [PORT]
#
# It starts in about 15 s on an idle machine and much later on a loaded one:
# start waits up to $PUBSUB_EMULATOR_START_TIMEOUT seconds (default 300).
# A start that fails stops what it started. A port that answers but is not
# this script's emulator is refused rather than shared.
set -euo pipefail
cmd=${1:?start or stop}
port=${2:-8085}
timeout=${PUBSUB_EMULATOR_START_TIMEOUT:-300}
state="${TMPDIR:-/tmp}/clickstream-pubsub-emulator-$port"

answers() { curl -fsS --max-time 5 "http://127.0.0.1:$port/" >/dev/null 2>&1; }

stop() {
  if [ -f "$state.pid" ]; then
    kill -- -"$(cat "$state.pid")" 2>/dev/null || true
    rm -f "$state.pid"
  fi
}

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
  if answers; then
    echo "127.0.0.1:$port already answers, but not with an emulator this script started: choose another port" >&2
    exit 1
  fi
  setsid gcloud beta emulators pubsub start --host-port="127.0.0.1:$port" --quiet >"$state.log" 2>&1 &
  echo $! >"$state.pid"
  deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -lt "$deadline" ]; do
    if answers; then
      echo "PUBSUB_EMULATOR_HOST=127.0.0.1:$port"
      exit 0
    fi
    if ! kill -0 "$(cat "$state.pid")" 2>/dev/null; then
      echo "the Pub/Sub emulator exited; its log:" >&2
      cat "$state.log" >&2
      rm -f "$state.pid"
      exit 1
    fi
    sleep 0.5
  done
  echo "the Pub/Sub emulator did not answer on 127.0.0.1:$port within ${timeout}s; its log:" >&2
  cat "$state.log" >&2
  stop
  exit 1
  ;;
stop)
  stop
  ;;
*)
  echo "usage: $0 start|stop [PORT]" >&2
  exit 2
  ;;
esac
