#!/usr/bin/env bash
# Installs the pinned developer tools into $(go env GOPATH)/bin, outside the
# repo, so a machine builds each tool once. Skips a tool whose pinned version
# is already there.
set -euo pipefail
GOLANGCI_LINT_VERSION=v2.15.0

gobin="$(go env GOPATH)/bin"
mkdir -p "$gobin"

if ! "$gobin/golangci-lint" version 2>/dev/null | grep -q "${GOLANGCI_LINT_VERSION#v}"; then
  echo "installing golangci-lint $GOLANGCI_LINT_VERSION into $gobin"
  go install "github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$GOLANGCI_LINT_VERSION"
fi
