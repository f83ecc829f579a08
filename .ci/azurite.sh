#!/usr/bin/env bash
# Install Azurite (the Azure Storage emulator) into .ci/node_modules if it is not there yet (npm, ~190 MB).
# The state tests start .ci/node_modules/.bin/azurite-blob themselves; this script only installs it.
# Pinned to 3.35.0: the last release whose engines field accepts Node 20 (3.36+ asks for Node >= 21/22).
#
# Without Node.js/npm, or when the install fails (e.g. offline), it says so and exits 0: the Azurite tests then
# skip with a reason. With FINEPLAN_REQUIRE_AZURITE=1 (set by .ci/run) any of that is an error instead.
set -euo pipefail

AZURITE_VERSION="${AZURITE_VERSION:-3.35.0}"
ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$ci_dir/node_modules/.bin/azurite-blob"

unavailable() {
  if [[ "${FINEPLAN_REQUIRE_AZURITE:-}" == 1 ]]; then
    echo "azurite.sh: $1" >&2
    exit 1
  fi
  echo "azurite.sh: $1; the Azurite (blob state) tests will skip" >&2
  exit 0
}

installed_version() {
  node -p "require('$ci_dir/node_modules/azurite/package.json').version" 2>/dev/null || true
}

if [[ -x "$bin" && "$(installed_version)" == "$AZURITE_VERSION" ]]; then
  echo "azurite $AZURITE_VERSION already installed: $bin"
  exit 0
fi

command -v node >/dev/null && command -v npm >/dev/null || unavailable "Node.js/npm not found"

# --prefix installs into $ci_dir/node_modules without needing a package.json in the repo.
npm install --prefix "$ci_dir" --no-save --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" ||
  unavailable "npm install azurite@$AZURITE_VERSION failed"

[[ -x "$bin" ]] || unavailable "install finished but $bin is missing"
echo "azurite $(installed_version) installed: $bin"
