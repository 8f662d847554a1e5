#!/usr/bin/env bash
# Updates the crawler list that transforms/botfilter embeds from the
# crawler-user-agents npm package (monperrus/crawler-user-agents, MIT).
#
#   scripts/update-crawler-list.sh            # latest published version
#   scripts/update-crawler-list.sh 1.61.0     # a given version
#
# It replaces data/crawler-user-agents.json and data/LICENSE-crawler-user-agents,
# records the version and checksum in data/README.md, then runs the botfilter
# tests (every pattern must compile as RE2, the fixture's floors must hold).
# Review the diff and the logged recall before committing.
set -euo pipefail

version="${1:-latest}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
data="$root/transforms/botfilter/data"

command -v npm >/dev/null || { echo "update-crawler-list: npm is required" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

(cd "$work" && npm pack --silent "crawler-user-agents@$version" >/dev/null)
tar -xzf "$work"/crawler-user-agents-*.tgz -C "$work"
pkg="$work/package"
resolved="$(node -p 'require(process.argv[1]).version' "$pkg/package.json")"
license="$(node -p 'require(process.argv[1]).license' "$pkg/package.json")"
if [[ "$license" != "MIT" ]]; then
  echo "update-crawler-list: license changed to $license: review before updating" >&2
  exit 1
fi
# The file must be a JSON array of objects with a pattern each.
node -e '
  const list = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (!Array.isArray(list) || list.some(c => typeof c.pattern !== "string" || c.pattern === "")) {
    console.error("update-crawler-list: unexpected file layout"); process.exit(1);
  }
  console.log(`crawler-user-agents ${process.argv[2]}: ${list.length} patterns`);
' "$pkg/crawler-user-agents.json" "$resolved"

cp "$pkg/crawler-user-agents.json" "$data/crawler-user-agents.json"
cp "$pkg/LICENSE" "$data/LICENSE-crawler-user-agents"
sum="$(sha256sum "$data/crawler-user-agents.json" | cut -d' ' -f1)"
sed -i -E \
  -e "s/^(- Version: ).*/\1$resolved/" \
  -e "s/^(- SHA-256 of crawler-user-agents.json: ).*/\1\`$sum\`/" \
  -e "s/^(- Updated: ).*/\1$(date -u +%Y-%m-%d)/" \
  "$data/README.md"

cd "$root"
go test ./transforms/botfilter/ -run 'TestCrawlerList|TestUserAgentFixture' -v 2>&1 | grep -E '^(=== RUN|--- |\s+.*(recall|false positive|patterns))|^(ok|FAIL)' || true
echo "update-crawler-list: now at crawler-user-agents $resolved; review 'git diff transforms/botfilter/data'"
