#!/usr/bin/env bash
# Prints the comma-separated input globs of a batch run that owns DATES
# (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD): the raw archive's hourly folders
# and the landing bucket's daily folders from the day before the first date
# (sessions crossing midnight) through the day after the last (events that
# arrived late, within the lateness horizon). See README, Run scope.
#
#   deploy/backfill-inputs.sh DATES BUCKET...
#
# Each bucket holds raw/YYYY-MM-DD/...; only folders that hold objects are
# listed, because the pipeline fails on a glob that matches nothing.
# BACKFILL_LS is the listing command (default: gcloud storage ls).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: $0 YYYY-MM-DD[..YYYY-MM-DD] BUCKET..." >&2
  exit 2
fi
dates=$1
shift
ls_cmd=${BACKFILL_LS:-gcloud storage ls}
day='[0-9]{4}-[0-9]{2}-[0-9]{2}'
if ! [[ $dates =~ ^($day)(\.\.($day))?$ ]]; then
  echo "$0: DATES must be YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD, got '$dates'" >&2
  exit 2
fi
first=${BASH_REMATCH[1]}
last=${BASH_REMATCH[3]:-$first}
if [[ $last < $first ]]; then
  echo "$0: DATES ends before it starts: '$dates'" >&2
  exit 2
fi
d=$(date -u -d "$first - 1 day" +%F)
end=$(date -u -d "$last + 1 day" +%F)
globs=()
while [[ ! $d > $end ]]; do
  for bucket in "$@"; do
    # Recursive, so the archive's hourly folders and flat landing folders
    # are both found; one glob per hour or file level is not needed.
    if out=$($ls_cmd "gs://$bucket/raw/$d/**" 2>/dev/null) && [ -n "$out" ]; then
      globs+=("gs://$bucket/raw/$d/**")
    fi
  done
  d=$(date -u -d "$d + 1 day" +%F)
done
if [ ${#globs[@]} -eq 0 ]; then
  echo "$0: no raw data under gs://{$(IFS=,; echo "$*")}/raw/ for $dates (nor the days around it)" >&2
  exit 1
fi
(IFS=,; echo "${globs[*]}")
