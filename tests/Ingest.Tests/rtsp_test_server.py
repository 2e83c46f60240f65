#!/usr/bin/python3
"""Loopback RTSP server for the ingest tests (GStreamer RTSP server through python3-gi).

Mounts:
  /pattern  a live test pattern (videotestsrc), H.264, a pipeline per client
  /video    the given H.264 MP4 file, played in real time from its start for each client
Prints "READY <port>" on stdout once it listens; runs until killed.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--video", help="H.264 MP4 file served at /video")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--fps", type=int, default=25)
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()

    pattern = GstRtspServer.RTSPMediaFactory()
    pattern.set_launch(
        "( videotestsrc is-live=true pattern=ball "
        f"! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 "
        f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate=600 key-int-max={args.fps} "
        "! rtph264pay name=pay0 pt=96 config-interval=1 )")
    # Not shared: gst-rtsp-server 1.22 aborts (gst_rtsp_media_get_rates: assertion failed) when clients of a
    # shared media come and go quickly, as killed test cameras do. An encoder per client costs a few % of a core.
    pattern.set_shared(False)
    mounts.add_factory("/pattern", pattern)

    if args.video:
        video = GstRtspServer.RTSPMediaFactory()
        location = args.video.replace("\\", "\\\\").replace('"', '\\"')
        video.set_launch(
            f'( filesrc location="{location}" ! qtdemux ! h264parse '
            "! rtph264pay name=pay0 pt=96 config-interval=1 )")
        mounts.add_factory("/video", video)

    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
