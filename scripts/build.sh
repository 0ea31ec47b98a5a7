#!/bin/bash
# Configures (once) and builds into BUILD_DIR (default: build). Extra args go to meson setup.
set -eu -o pipefail
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILD_DIR=${BUILD_DIR:-$TOP/build}
"$TOP/scripts/install-deps.sh" build
if [ ! -f "$BUILD_DIR/build.ninja" ]; then
	meson setup "$BUILD_DIR" "$TOP" "$@" >/dev/null
fi
ninja -C "$BUILD_DIR" >/dev/null
