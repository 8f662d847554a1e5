#!/usr/bin/env bash
# Prints the comma-separated input globs of a batch run that owns DATES
# (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD): the raw archive's hourly folders
# and the landing bucket's daily folders from the day before the first date
# (sessions crossing midnight) through the day after the last (events that
# arrived late, within the lateness horizon), and the archive's last hour of
# the day before that and first hour of the day after. See README, Run scope.
#
#   deploy/backfill-inputs.sh DATES BUCKET...
#
# The two extra hours are for runaway sessions (24 h or longer, cut at every
# midnight): whether the chain through D's or D+1's midnight lasts 24 h can
# only be told from the events one gap (--session_gap) beyond D-1's and
# D+2's midnights. BACKFILL_MARGIN_HOURS (default 1) is how many hours are
# read on each side: at least the session gap, in whole hours. The landing
# bucket's folders are daily, so none of them is read for this.
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
margin=${BACKFILL_MARGIN_HOURS:-1}
if ! [[ $margin =~ ^[0-9]+$ ]] || ((margin > 24)); then
  echo "$0: BACKFILL_MARGIN_HOURS must be a whole number of hours up to 24, got '$margin'" >&2
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
for ((h = 24 - margin; h < 24; h++)); do
  add "$before/$(printf %02d $h)"
done
while [[ ! $d > $end ]]; do
  add "$d"
  d=$(date -u -d "$d + 1 day" +%F)
done
for ((h = 0; h < margin; h++)); do
  add "$after/$(printf %02d $h)"
done
if [ ${#globs[@]} -eq 0 ]; then
  echo "$0: no raw data under gs://{$(IFS=,; echo "$*")}/raw/ for $dates (nor the days around it)" >&2
  exit 1
fi
(IFS=,; echo "${globs[*]}")
