#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for the pipeline: system packages, then a Release build.
# Needs the .NET 10 SDK on PATH. Run as root or with sudo rights.
set -euo pipefail
cd "$(dirname "$0")"
packages=(
  ffmpeg                      # camera decoding (RTSP and files) through an ffmpeg process
  libgtk-3-0                  # needed by OpenCV's bundled native library
  opencv-doc                  # ships the sample video examples/data/vtest.avi
  gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-bad gstreamer1.0-plugins-ugly gstreamer1.0-libav python3-gi  # loopback RTSP server for tests
  chromium                    # headless browser for the web page test
)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
command -v dotnet >/dev/null || { echo "setup: the .NET 10 SDK is needed (https://dot.net); dotnet is not on PATH" >&2; exit 1; }
dotnet build Pipeline.sln -c Release -nologo -v quiet
echo "setup: done"
