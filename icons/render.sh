#!/usr/bin/env bash
# Renders icon.svg into the PNGs tauri-build embeds (RGBA). Needs ImageMagick
# (`cargo xtask setup` installs it). Run from anywhere; commit the results.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out="$here/../src-tauri/icons"
mkdir -p "$out"
render() { convert -background none "$here/icon.svg" -resize "$1x$1" "PNG32:$out/$2"; }
render 32 32x32.png
render 128 128x128.png
render 256 128x128@2x.png
render 512 icon.png
