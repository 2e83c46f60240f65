namespace ReId.Detection;

/// <summary>
/// Overlapping tiles of a frame for detecting small people (<see cref="DetectorOptions.Tiles"/>): the whole frame,
/// then N x N tiles of 1/N of each side plus a quarter of that as overlap, so a person up to a quarter of a tile
/// wide lies whole inside some tile.
/// </summary>
internal static class ImageTiles
{
    /// <summary>Pixels from an inner tile edge within which a box is taken as cut by the edge.</summary>
    private const float EdgeMargin = 2;

    /// <summary>A region of the frame, in frame pixels.</summary>
    public readonly record struct Tile(int X, int Y, int Width, int Height, int FrameWidth, int FrameHeight)
    {
        public bool IsWhole => X == 0 && Y == 0 && Width == FrameWidth && Height == FrameHeight;

        /// <summary>The tile's pixels as an image of their own (a packed copy).</summary>
        public BgrImage Cut(BgrImage frame)
        {
            var src = frame.Bgr.Span;
            var pixels = new byte[Width * Height * 3];
            for (int row = 0; row < Height; row++)
            {
                src.Slice((((Y + row) * frame.Width) + X) * 3, Width * 3).CopyTo(pixels.AsSpan(row * Width * 3));
            }

            return new BgrImage(pixels, Width, Height);
        }

        /// <summary>
        /// Detections in tile pixels moved into the frame; those touching an edge of the tile inside the frame are
        /// dropped (the person is cut there and lies whole in a neighbouring tile or in the whole frame).
        /// </summary>
        public IEnumerable<PersonDetection> ToFrame(IEnumerable<PersonDetection> detections)
        {
            foreach (var d in detections)
            {
                var b = d.Box;
                bool cut = (X > 0 && b.X <= EdgeMargin) || (Y > 0 && b.Y <= EdgeMargin) ||
                           (X + Width < FrameWidth && b.Right >= Width - EdgeMargin) ||
                           (Y + Height < FrameHeight && b.Bottom >= Height - EdgeMargin);
                if (!cut)
                {
                    yield return d with { Box = b with { X = b.X + X, Y = b.Y + Y } };
                }
            }
        }
    }

    /// <summary>The whole frame, then (for <paramref name="perSide"/> &gt; 1) the tiles row by row.</summary>
    public static IEnumerable<Tile> Of(int width, int height, int perSide)
    {
        yield return new Tile(0, 0, width, height, width, height);
        if (perSide <= 1)
        {
            yield break;
        }

        int tw = Math.Min(width, (int)Math.Ceiling(width * 1.25 / perSide));
        int th = Math.Min(height, (int)Math.Ceiling(height * 1.25 / perSide));
        for (int row = 0; row < perSide; row++)
        {
            for (int col = 0; col < perSide; col++)
            {
                int x = (int)Math.Round((double)(width - tw) * col / (perSide - 1));
                int y = (int)Math.Round((double)(height - th) * row / (perSide - 1));
                yield return new Tile(x, y, tw, th, width, height);
            }
        }
    }
}
