namespace ReId.Ingest;

/// <summary>A source's video stream as ffmpeg reports it, before any scaling.</summary>
/// <param name="Codec">Codec name, e.g. h264.</param>
/// <param name="Width">Width in pixels.</param>
/// <param name="Height">Height in pixels.</param>
/// <param name="Fps">Frame rate, when the source states one.</param>
public sealed record SourceVideo(string Codec, int Width, int Height, double? Fps);
