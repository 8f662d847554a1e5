#!/usr/bin/env bash
# Prints the comma-separated input globs of a batch run that owns DATES
# (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD): the raw archive's hourly folders
# and the landing bucket's daily folders from the day before the first date
# (sessions crossing midnight) through the day after the last (events that
# arrived late, within the lateness horizon), and some hours of the archive
# on each side of those. See README, Run scope and Sessions.
#
#   deploy/backfill-inputs.sh DATES BUCKET...
#
# The extra hours are for sessions that cross the owned days' edges. Whether
# the chain through D's or D+1's midnight lasts 24 h (a runaway, cut at every
# midnight) can only be told from the events one session gap beyond D-1's
# and D+2's midnights, and the archive's folders go by arrival: so the last
# BACKFILL_GAP_HOURS (default 1: --session_gap, rounded up to the hour) of
# the day before, and the first BACKFILL_GAP_HOURS + BACKFILL_LATENESS_HOURS
# (default 6: --allowed_lateness) of the day after, which also bring the
# late events of the last day after that hold the sessions of the last owned
# date. Hours that do not exist yet (the daily run) are simply not there.
# The landing bucket's folders are daily, so none of them is read for this.
#
# Each bucket holds raw/YYYY-MM-DD/...; only folders that hold objects are
# listed, because the pipeline fails on a glob that matches nothing, and it
# is an error when none of the days themselves (the day before the first
# through the day after the last) holds any.
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
# hours NAME DEFAULT prints $NAME (or DEFAULT) as a number of hours, base
# 10, and fails unless it is a whole number.
hours() {
  local v=${!1:-$2}
  if ! [[ $v =~ ^[0-9]{1,2}$ ]]; then
    echo "$0: $1 must be a whole number of hours, got '$v'" >&2
    exit 2
  fi
  echo $((10#$v))
}
gap=$(hours BACKFILL_GAP_HOURS 1)
lateness=$(hours BACKFILL_LATENESS_HOURS 6)
ahead=$((gap + lateness))
if ((gap > 24 || ahead > 24)); then
  echo "$0: BACKFILL_GAP_HOURS and BACKFILL_GAP_HOURS + BACKFILL_LATENESS_HOURS must be at most 24, got $gap and $ahead" >&2
  exit 2
fi
globs=()
# add FOLDER adds gs://BUCKET/raw/FOLDER/** of each bucket that holds objects
# there. Recursive, so the archive's hourly folders and flat landing folders
# are both found; one glob per hour or file level is not needed.
add() {
  local bucket out
  for bucket in "${buckets[@]}"; do
    if out=$($ls_cmd "gs://$bucket/raw/$1/**" 2>/dev/null) && [ -n "$out" ]; then
      globs+=("gs://$bucket/raw/$1/**")
    fi
  done
}
buckets=("$@")
d=$(date -u -d "$first - 1 day" +%F)
end=$(date -u -d "$last + 1 day" +%F)
before=$(date -u -d "$d - 1 day" +%F)
after=$(date -u -d "$end + 1 day" +%F)
for ((h = 24 - gap; h < 24; h++)); do
  add "$before/$(printf %02d $h)"
done
edge=${#globs[@]}
while [[ ! $d > $end ]]; do
  add "$d"
  d=$(date -u -d "$d + 1 day" +%F)
done
if [ ${#globs[@]} -eq "$edge" ]; then
  echo "$0: no raw data under gs://{$(IFS=,; echo "$*")}/raw/ for $dates (nor the days around it)" >&2
  exit 1
fi
for ((h = 0; h < ahead; h++)); do
  add "$after/$(printf %02d $h)"
done
(IFS=,; echo "${globs[*]}")
