using OpenCvSharp;

namespace ReId.Detection;

/// <summary>YOLOX pre- and post-processing: letterbox in, grid decode and NMS out.</summary>
internal static class YoloxCodec
{
    public const int InputSize = 416;
    public const int Attributes = 85;
    public const float PadValue = 114f;
    private static readonly int[] Strides = [8, 16, 32];

    /// <summary>Anchor count for a square input: (s/8)^2 + (s/16)^2 + (s/32)^2 (3549 at 416).</summary>
    public static int AnchorCount(int inputSize) => Strides.Sum(s => (inputSize / s) * (inputSize / s));

    /// <summary>Scale from frame pixels to network pixels (letterbox keeps the aspect ratio, pads bottom/right).</summary>
    public static float Ratio(int width, int height, int inputSize = InputSize) =>
        MathF.Min((float)inputSize / width, (float)inputSize / height);

    /// <summary>
    /// Writes <paramref name="image"/> letterboxed (top-left, pad 114, BGR 0-255, no normalisation) as CHW floats
    /// into <paramref name="chw"/> (3 x size x size).
    /// </summary>
    public static float Letterbox(BgrImage image, Span<float> chw, int inputSize = InputSize)
    {
        if (chw.Length < 3 * inputSize * inputSize)
        {
            throw new ArgumentException($"The input buffer holds {chw.Length} floats; 3x{inputSize}x{inputSize} are needed.", nameof(chw));
        }

        float r = Ratio(image.Width, image.Height, inputSize);
        int rw = Math.Clamp((int)(image.Width * r), 1, inputSize);
        int rh = Math.Clamp((int)(image.Height * r), 1, inputSize);
        chw.Fill(PadValue);
        using var src = image.Pin();
        using var resized = new Mat();
        Cv2.Resize(src.Mat, resized, new Size(rw, rh), 0, 0, InterpolationFlags.Linear);
        using var asFloat = new Mat();
        resized.ConvertTo(asFloat, MatType.CV_32FC3);

        // Split the interleaved pixels straight into the top-left corner of each channel plane (row step = size).
        int plane = inputSize * inputSize;
        unsafe
        {
            fixed (float* basePtr = chw)
            {
                long step = inputSize * sizeof(float);
                using var b = Mat.FromPixelData(rh, rw, MatType.CV_32FC1, (IntPtr)basePtr, step);
                using var g = Mat.FromPixelData(rh, rw, MatType.CV_32FC1, (IntPtr)(basePtr + plane), step);
                using var r2 = Mat.FromPixelData(rh, rw, MatType.CV_32FC1, (IntPtr)(basePtr + (2 * plane)), step);
                Cv2.MixChannels([asFloat], [b, g, r2], [0, 0, 1, 1, 2, 2]);
            }
        }

        return r;
    }

    /// <summary>
    /// Decodes one image's raw output (anchors x 85: cx, cy, w, h, objectness, 80 class scores, on the stride
    /// 8/16/32 grids) into person boxes in frame pixels, score = objectness x class 0, at or above
    /// <paramref name="threshold"/>, before NMS.
    /// </summary>
    public static List<PersonDetection> Decode(
        ReadOnlySpan<float> raw, float ratio, int width, int height, float threshold, int inputSize = InputSize)
    {
        var found = new List<PersonDetection>();
        int anchor = 0;
        foreach (int stride in Strides)
        {
            int cells = inputSize / stride;
            for (int gy = 0; gy < cells; gy++)
            {
                for (int gx = 0; gx < cells; gx++, anchor++)
                {
                    var a = raw.Slice(anchor * Attributes, Attributes);
                    float score = a[4] * a[5];
                    if (score < threshold || float.IsNaN(score))
                    {
                        continue;
                    }

                    float cx = (a[0] + gx) * stride;
                    float cy = (a[1] + gy) * stride;
                    float w = MathF.Exp(a[2]) * stride;
                    float h = MathF.Exp(a[3]) * stride;
                    var box = new Box((cx - (w / 2)) / ratio, (cy - (h / 2)) / ratio, w / ratio, h / ratio)
                        .ClipTo(width, height);
                    if (box.Width >= 1 && box.Height >= 1)
                    {
                        found.Add(new PersonDetection(box, score));
                    }
                }
            }
        }

        return found;
    }

    /// <summary>Greedy non-maximum suppression; returns the kept detections, best score first.</summary>
    public static List<PersonDetection> Nms(List<PersonDetection> detections, float iouThreshold)
    {
        detections.Sort((p, q) => q.Score.CompareTo(p.Score));
        var kept = new List<PersonDetection>(Math.Min(detections.Count, 64));
        foreach (var d in detections)
        {
            bool suppressed = false;
            foreach (var k in kept)
            {
                if (k.Box.Iou(d.Box) > iouThreshold)
                {
                    suppressed = true;
                    break;
                }
            }

            if (!suppressed)
            {
                kept.Add(d);
            }
        }

        return kept;
    }
}
