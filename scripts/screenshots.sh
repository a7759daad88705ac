#!/usr/bin/env bash
# Retakes the README's screenshots with the project's own binary: the window under a virtual
# X display (Xvfb) at 1280x800 and at 1024x640, each running a sample as soon as it opens.
# Needs: apt-get install -y xvfb imagemagick xdotool (and the X libraries eframe uses).
set -euo pipefail
cd "$(dirname "$0")/.."
# WASMSCOPE_BIN=target/debug/wasmscope skips the release build (the window looks the same).
if [ -z "${WASMSCOPE_BIN:-}" ]; then
  cargo build --release
  WASMSCOPE_BIN=target/release/wasmscope
fi
bin="$(cd "$(dirname "$WASMSCOPE_BIN")" && pwd)/$(basename "$WASMSCOPE_BIN")"

# shot WIDTHxHEIGHT OUTPUT SAMPLE [ARGS]
shot() {
  local size=$1 out=$2 sample=$3 args=${4:-}
  local home
  home=$(mktemp -d)
  # The screen is at least as big as the window (a window made larger than its screen lays
  # itself out wrongly until it is resized by hand); the shot is cropped to the window.
  Xvfb :77 -screen 0 1280x800x24 >/dev/null 2>&1 &
  local xvfb=$!
  sleep 1
  # A fresh settings folder each time, so no earlier session's layout leaks in.
  DISPLAY=:77 XDG_CONFIG_HOME="$home" XDG_DATA_HOME="$home" XDG_CACHE_HOME="$home" \
    WASMSCOPE_AUTORUN=1 WASMSCOPE_AUTORUN_ARGS="$args" "$bin" "$sample" >/dev/null 2>&1 &
  local app=$!
  sleep 4
  DISPLAY=:77 xdotool search --sync --name wasmscope windowsize "${size%x*}" "${size#*x}" || true
  sleep 2
  # The window lays itself out again at its new size as input arrives: move the pointer a
  # little, then park it on the status bar (in the middle it would raise a tooltip).
  for step in 1 2 3 4 5; do
    DISPLAY=:77 xdotool mousemove $(( 100 + step * 20 )) 300
    sleep 0.3
  done
  DISPLAY=:77 xdotool mousemove "$(( ${size%x*} - 5 ))" "$(( ${size#*x} - 5 ))"
  sleep 2
  DISPLAY=:77 import -window root -crop "${size}+0+0" "$out"
  kill "$app" "$xvfb" 2>/dev/null || true
  wait "$app" "$xvfb" 2>/dev/null || true
  rm -rf "$home"
  echo "wrote $out"
}

shot 1280x800 assets/screenshot.png samples/memory_hog.wat
shot 1024x640 assets/screenshot-1024x640.png samples/memory_hog.wat
