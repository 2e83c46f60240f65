#!/usr/bin/env bash
# Sets up a fresh Debian/Ubuntu machine for the pipeline: system packages, then a Release build.
# Needs the .NET 10 SDK on PATH. Run as root or with sudo rights.
#
#   ./setup.sh                     system packages and the build (no download besides apt and NuGet)
#   ./setup.sh --models [--sha256 HEX] [--from FILE-or-URL]
#                                  only fetches the YOLOX-nano detector (needs internet): the official release file
#                                  into models/yolox_nano.onnx, refused when its SHA-256 is not HEX; without
#                                  --sha256 it prints the file's SHA-256 to compare with the release page.
#                                  --from takes a local copy (or another URL) instead of the release.
set -euo pipefail
cd "$(dirname "$0")"

# The YOLOX 0.1.1rc0 release file has the inputs and outputs the detector reads (one 1x3x416x416 input, one
# 1x3549x85 output).
yolox_url="https://github.com/Megvii-BaseDetection/YOLOX/releases/download/0.1.1rc0/yolox_nano.onnx"
yolox_release_page="https://github.com/Megvii-BaseDetection/YOLOX/releases/tag/0.1.1rc0"

fetch_yolox() {
  local source=$1 expected=${2,,} dest=models/yolox_nano.onnx
  mkdir -p models
  local part; part=$(mktemp models/.yolox_nano.onnx.XXXXXX)
  trap 'rm -f "$part"' EXIT
  if [[ $source == http://* || $source == https://* ]]; then
    echo "setup: downloading $source"
    if command -v curl >/dev/null; then curl -fL --retry 2 -o "$part" "$source"
    elif command -v wget >/dev/null; then wget -q -O "$part" "$source"
    else echo "setup: curl or wget is needed to download the model (apt-get install curl)" >&2; exit 1
    fi
  else
    [ -f "$source" ] || { echo "setup: --from $source: no such file" >&2; exit 1; }
    cp "$source" "$part"
  fi
  local got; got=$(sha256sum "$part" | cut -d' ' -f1)
  if [ -n "$expected" ]; then
    if [ "$got" != "$expected" ]; then
      echo "setup: refused $source: its SHA-256 is $got, not the expected $expected; nothing was written to $dest" >&2
      exit 1
    fi
    echo "setup: SHA-256 $got matches"
  else
    echo "setup: no --sha256 given: the file's SHA-256 is $got; compare it with the one on $yolox_release_page" \
         "(rerun with --sha256 HEX to have it checked; delete $dest if it differs)"
  fi
  mv -f "$part" "$dest"
  trap - EXIT
  echo "setup: $dest ($(stat -c %s "$dest") bytes); reid demo and reid-bench take it from there"
}

models=0 sha256="" from=""
while [ $# -gt 0 ]; do
  case $1 in
    --models) models=1 ;;
    --sha256) [ $# -ge 2 ] || { echo "setup: --sha256 needs a value" >&2; exit 2; }; sha256=$2; shift ;;
    --from) [ $# -ge 2 ] || { echo "setup: --from needs a file or URL" >&2; exit 2; }; from=$2; shift ;;
    *) echo "setup: unknown argument '$1' (known: --models, --sha256 HEX, --from FILE-or-URL)" >&2; exit 2 ;;
  esac
  shift
done
if [ -n "$sha256" ] && ! [[ $sha256 =~ ^[0-9a-fA-F]{64}$ ]]; then
  echo "setup: --sha256 '$sha256' is not a SHA-256 (64 hexadecimal digits)" >&2; exit 2
fi
if [ "$models" -eq 1 ]; then
  fetch_yolox "${from:-$yolox_url}" "$sha256"
  exit 0
fi
if [ -n "$sha256$from" ]; then echo "setup: --sha256 and --from go with --models" >&2; exit 2; fi

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
