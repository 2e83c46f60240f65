#!/usr/bin/python3
"""Loopback RTSP server for benchmarks: serves one H.264 MP4 file as N live cameras.

Run with Debian's /usr/bin/python3 (its site has the gi module; packages gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-{base,good,bad}, python3-gi).

Mounts /cam0 .. /cam{N-1}: each plays the file in real time from its start (no re-encoding: the file's H.264
is only re-packetised). Prints "READY <port>" on stdout once it listens;
runs until killed.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--video", required=True, help="H.264 MP4 file")
    parser.add_argument("--mounts", type=int, default=1)
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    location = args.video.replace("\\", "\\\\").replace('"', '\\"')
    for i in range(args.mounts):
        factory = GstRtspServer.RTSPMediaFactory()
        factory.set_launch(
            f'( filesrc location="{location}" ! qtdemux ! h264parse '
            "! rtph264pay name=pay0 pt=96 config-interval=1 )")
        # One pipeline per client: shared media aborts in gst-rtsp-server 1.22; each camera has one client anyway.
        factory.set_shared(False)
        mounts.add_factory(f"/cam{i}", factory)

    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
