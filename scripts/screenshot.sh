#!/usr/bin/env bash
# Takes assets/screenshot.png: the window on a virtual X display, after running a sample.
#
#   scripts/screenshot.sh                           # samples/memory_hog.wat
#   scripts/screenshot.sh samples/traps.wat div0    # another sample, with its arguments
#
# Installs what it needs (Xvfb, ImageMagick, Mesa) when missing, builds the release binary,
# and starts wasmscope with a fresh settings folder so the picture does not depend on yours.
set -euo pipefail

cd "$(dirname "$0")/.."
module="${1:-samples/memory_hog.wat}"
args="${2-}"
out="${SCREENSHOT_OUT:-assets/screenshot.png}"
display_number="${SCREENSHOT_DISPLAY:-99}"
wait_secs="${SCREENSHOT_WAIT_SECS:-8}"

need=()
command -v Xvfb >/dev/null || need+=(xvfb)
command -v import >/dev/null || need+=(imagemagick)
command -v xdotool >/dev/null || need+=(xdotool)
for lib in libX11.so.6 libXcursor.so.1 libX11-xcb.so.1 libXi.so.6 libxkbcommon-x11.so.0 libEGL.so.1 libGL.so.1; do
    ldconfig -p | grep -q "$lib" || { need+=(libx11-6 libxcursor1 libx11-xcb1 libxi6 libxkbcommon-x11-0 libegl1 libgl1 libgl1-mesa-dri); break; }
done
if ((${#need[@]})); then
    echo "installing: ${need[*]}"
    sudo_cmd=()
    [[ $(id -u) == 0 ]] || sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -qq
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo build --release

pids=()
cleanup() {
    # The app first, then the X server it draws on.
    for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
        kill "${pids[i]}" 2>/dev/null || true
        wait "${pids[i]}" 2>/dev/null || true
    done
    [[ -n "${settings_dir:-}" ]] && rm -rf "$settings_dir"
}
trap cleanup EXIT

Xvfb ":$display_number" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
pids+=($!)
export DISPLAY=":$display_number"
for _ in $(seq 50); do
    xdpyinfo >/dev/null 2>&1 && break
    # xdpyinfo may be missing; xdotool answers once the server is up.
    xdotool getmouselocation >/dev/null 2>&1 && break
    sleep 0.1
done

# A fresh settings folder (eframe keeps its state under XDG_DATA_HOME), software GL.
settings_dir="$(mktemp -d)"
env -u WAYLAND_DISPLAY XDG_DATA_HOME="$settings_dir" LIBGL_ALWAYS_SOFTWARE=1 \
    WASMSCOPE_AUTORUN=1 WASMSCOPE_AUTORUN_ARGS="$args" \
    target/release/wasmscope "$module" &
pids+=($!)

sleep "$wait_secs"
# Fill the screen with the window, in case the window manager-less X server left it smaller.
if window=$(xdotool search --name 'wasmscope' 2>/dev/null | head -n1) && [[ -n "$window" ]]; then
    xdotool windowmove "$window" 0 0 windowsize "$window" 1280 800 || true
    sleep 1
fi
# Park the pointer in a corner, so no tooltip shows.
xdotool mousemove 1279 799 || true
sleep 0.5
mkdir -p "$(dirname "$out")"
import -window root "$out"
echo "wrote $out"
