#!/usr/bin/env bash
# Installs the pinned developer tools into $(go env GOPATH)/bin, outside the
# repo, so a machine builds each tool once. Skips a tool whose pinned version
# is already there.
set -euo pipefail
GOLANGCI_LINT_VERSION=v2.15.0
OPENTOFU_VERSION=v1.10.6
TFLINT_VERSION=v0.61.0

gobin="$(go env GOPATH)/bin"
mkdir -p "$gobin"

# has TOOL PATTERN [ARGS...]: whether `TOOL ARGS` prints a line matching
# PATTERN. The output is captured first: `tool | grep -q` would fail under
# pipefail when grep stops reading early.
has() {
  local out
  out=$("$gobin/$1" "${@:3}" 2>/dev/null) || return 1
  grep -q "$2" <<<"$out"
}

if ! has golangci-lint "${GOLANGCI_LINT_VERSION#v}" version; then
  echo "installing golangci-lint $GOLANGCI_LINT_VERSION into $gobin"
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi

# OpenTofu (tofu fmt) cannot be installed with `go install`: its go.mod has a
# replace directive, which `go install pkg@version` refuses. Build it inside a
# writable copy of its module directory instead (about 5 minutes on 2 cores).
if ! has tofu "^OpenTofu $OPENTOFU_VERSION\$" version; then
  echo "building OpenTofu $OPENTOFU_VERSION into $gobin"
  moddir=$(go mod download -json "github.com/opentofu/opentofu@$OPENTOFU_VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp -r "$moddir/." "$work"
  chmod -R u+w "$work"
  # dev=no drops the "-dev" suffix, so `tofu version` names the release.
  (cd "$work" && go build -trimpath -ldflags "-s -w -X github.com/opentofu/opentofu/version.dev=no" \
    -o "$gobin/tofu" ./cmd/tofu)
fi

if ! has tflint "^TFLint version ${TFLINT_VERSION#v}\$" --version; then
  echo "installing tflint $TFLINT_VERSION into $gobin"
  go install "github.com/terraform-linters/tflint@$TFLINT_VERSION"
fi
