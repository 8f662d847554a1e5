#!/usr/bin/env bash
# Creates a local development pseudonymization key (random, outside the repo)
# if there is none yet. Production keys live in Secret Manager.
set -euo pipefail
key_file=${1:?usage: dev-hash-key.sh FILE}
if [ ! -s "$key_file" ]; then
  mkdir -p "$(dirname "$key_file")"
  umask 077
  head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$key_file"
  echo "created a development hash key in $key_file"
fi
