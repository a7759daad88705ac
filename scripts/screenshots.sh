#!/usr/bin/env bash
# Retakes the README's screenshots with the project's own binary: the window under a virtual
# X display (Xvfb) at 1280x800 and at 1024x640, each running a sample as soon as it opens.
# Needs: apt-get install -y xvfb imagemagick xdotool (and the X libraries eframe uses).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release
bin="$PWD/target/release/wasmscope"

# shot WIDTHxHEIGHT OUTPUT SAMPLE [ARGS]
shot() {
  local size=$1 out=$2 sample=$3 args=${4:-}
  local home
  home=$(mktemp -d)
  Xvfb :77 -screen 0 "${size}x24" >/dev/null 2>&1 &
  local xvfb=$!
  sleep 1
  # A fresh settings folder each time, so no earlier session's layout leaks in.
  DISPLAY=:77 XDG_CONFIG_HOME="$home" XDG_DATA_HOME="$home" XDG_CACHE_HOME="$home" \
    WASMSCOPE_AUTORUN=1 WASMSCOPE_AUTORUN_ARGS="$args" "$bin" "$sample" >/dev/null 2>&1 &
  local app=$!
  sleep 4
  DISPLAY=:77 xdotool search --sync --name wasmscope windowsize "${size%x*}" "${size#*x}" || true
  sleep 4
  DISPLAY=:77 import -window root "$out"
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" "$xvfb" 2>/dev/null || true
  rm -rf "$home"
  echo "wrote $out"
}

shot 1280x800 assets/screenshot.png samples/memory_hog.wat
shot 1024x640 assets/screenshot-1024x640.png samples/memory_hog.wat
