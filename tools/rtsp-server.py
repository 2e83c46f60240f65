#!/usr/bin/python3
"""Loopback RTSP server (GStreamer RTSP server through python3-gi) for benchmarks and the ingest tests.

Run with Debian's /usr/bin/python3 (its site has the gi module; packages gir1.2-gst-rtsp-server-1.0,
gstreamer1.0-plugins-{base,good,bad}, python3-gi).

Mounts:
  /cam0 .. /cam{N-1}  with --video: the H.264 MP4 file played in real time from its start for each client (no
                      re-encoding: the file's H.264 is only re-packetised)
  /pattern            with --pattern: a live test pattern (videotestsrc), H.264
With --auth USER:PASSWORD every mount asks for these credentials (RTSP digest authentication).
Prints "READY <port>" on stdout once it listens; runs until killed.
"""
import argparse
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtsp", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtsp, GstRtspServer  # noqa: E402


def factory(launch: str) -> GstRtspServer.RTSPMediaFactory:
    media = GstRtspServer.RTSPMediaFactory()
    media.set_launch(launch)
    # A pipeline per client: gst-rtsp-server 1.22 aborts (gst_rtsp_media_get_rates: assertion failed) when clients
    # of a shared media come and go quickly, as killed cameras do. An encoder per client costs a few % of a core.
    media.set_shared(False)
    return media


def require(server, factories, credentials: str) -> None:
    """Digest authentication with one user, who may open every mount."""
    user, _, password = credentials.partition(":")
    auth = GstRtspServer.RTSPAuth()
    token = GstRtspServer.RTSPToken()
    token.set_string(GstRtspServer.RTSP_TOKEN_MEDIA_FACTORY_ROLE, "user")
    auth.add_digest(user, password, token)
    auth.set_supported_methods(GstRtsp.RTSPAuthMethod.DIGEST)
    server.set_auth(auth)
    role = Gst.Structure.new_from_string(
        "user, media.factory.access=(boolean)true, media.factory.construct=(boolean)true")
    for media in factories:
        media.add_role_from_structure(role)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--video", help="H.264 MP4 file served at /cam0 .. /cam{N-1}")
    parser.add_argument("--mounts", type=int, default=1, help="how many /camN mounts serve --video")
    parser.add_argument("--pattern", action="store_true", help="also serve a live test pattern at /pattern")
    parser.add_argument("--width", type=int, default=640, help="test pattern width")
    parser.add_argument("--height", type=int, default=360, help="test pattern height")
    parser.add_argument("--fps", type=int, default=25, help="test pattern frame rate")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require these credentials (digest) on every mount")
    args = parser.parse_args()
    if args.video is None and not args.pattern:
        parser.error("nothing to serve: give --video FILE, --pattern or both")

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    mounts = server.get_mount_points()
    factories = []

    if args.video is not None:
        location = args.video.replace("\\", "\\\\").replace('"', '\\"')
        for i in range(args.mounts):
            factories.append(factory(
                f'( filesrc location="{location}" ! qtdemux ! h264parse '
                "! rtph264pay name=pay0 pt=96 config-interval=1 )"))
            mounts.add_factory(f"/cam{i}", factories[-1])

    if args.pattern:
        factories.append(factory(
            "( videotestsrc is-live=true pattern=ball "
            f"! video/x-raw,width={args.width},height={args.height},framerate={args.fps}/1 "
            f"! x264enc tune=zerolatency speed-preset=ultrafast bitrate=600 key-int-max={args.fps} "
            "! rtph264pay name=pay0 pt=96 config-interval=1 )"))
        mounts.add_factory("/pattern", factories[-1])

    if args.auth is not None:
        require(server, factories, args.auth)

    if server.attach(None) == 0:
        print(f"cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1
    print(f"READY {server.get_bound_port()}", flush=True)
    GLib.MainLoop().run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
