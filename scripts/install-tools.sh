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

if ! "$gobin/golangci-lint" version 2>/dev/null | grep -q "${GOLANGCI_LINT_VERSION#v}"; then
  echo "installing golangci-lint $GOLANGCI_LINT_VERSION into $gobin"
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi

# OpenTofu (tofu fmt) cannot be installed with `go install`: its go.mod has a
# replace directive, which `go install pkg@version` refuses. Build it inside a
# writable copy of its module directory instead (about 5 minutes on 2 cores).
if ! "$gobin/tofu" version 2>/dev/null | grep -q "^OpenTofu $OPENTOFU_VERSION\$"; then
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

if ! "$gobin/tflint" --version 2>/dev/null | grep -q "^TFLint version ${TFLINT_VERSION#v}\$"; then
  echo "installing tflint $TFLINT_VERSION into $gobin"
  go install "github.com/terraform-linters/tflint@$TFLINT_VERSION"
fi
