#!/usr/bin/env bash
# Install Azurite (the Azure Storage emulator) into .ci/node_modules if it is not there yet.
# The state tests start .ci/node_modules/.bin/azurite-blob themselves; this script only installs it.
# Pinned to 3.35.0: the last release whose engines field accepts Node 20 (3.36+ asks for Node >= 21/22).
set -euo pipefail

AZURITE_VERSION="${AZURITE_VERSION:-3.35.0}"
ci_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
bin="$ci_dir/node_modules/.bin/azurite-blob"

installed_version() {
  node -p "require('$ci_dir/node_modules/azurite/package.json').version" 2>/dev/null || true
}

if [[ -x "$bin" && "$(installed_version)" == "$AZURITE_VERSION" ]]; then
  echo "azurite $AZURITE_VERSION already installed: $bin"
  exit 0
fi

command -v npm >/dev/null || { echo "azurite.sh: npm not found (install Node.js >= 18)" >&2; exit 1; }

# --prefix installs into $ci_dir/node_modules without needing a package.json in the repo.
npm install --prefix "$ci_dir" --no-save --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION"

[[ -x "$bin" ]] || { echo "azurite.sh: install finished but $bin is missing" >&2; exit 1; }
echo "azurite $(installed_version) installed: $bin"
