namespace ReId.ReidEncoder;

/// <summary>
/// How pixels become trunk input: value = (byte * Scale - Mean[c]) / Std[c], channels in ColorOrder.
/// </summary>
public sealed record PixelNormalization
{
    /// <summary>"bgr" or "rgb": the channel order of the input tensor.</summary>
    public string ColorOrder { get; init; } = "bgr";

    /// <summary>Multiplies the 0-255 byte first (1 keeps the 0-255 range, 1/255 gives 0-1).</summary>
    public float Scale { get; init; } = 1f;

    /// <summary>Per-channel mean, in <see cref="ColorOrder"/>, after scaling.</summary>
    public IReadOnlyList<float> Mean { get; init; } = [0f, 0f, 0f];

    /// <summary>Per-channel standard deviation, in <see cref="ColorOrder"/>, after scaling.</summary>
    public IReadOnlyList<float> Std { get; init; } = [1f, 1f, 1f];

    /// <summary>
    /// What the ImageNet ResNet-18 (CNTK export) expects: BGR, 0-255, minus its mean image. That image is
    /// 224 x 224 and our crops are 256 x 128, so it is reduced to its per-channel means (B 103.06, G 115.90,
    /// R 123.15; the image varies by at most about 13 around them), no scaling by a standard deviation.
    /// </summary>
    public static PixelNormalization ImageNetResNet18 { get; } = new()
    {
        ColorOrder = "bgr",
        Scale = 1f,
        Mean = [103.06262f, 115.90288f, 123.15163f],
        Std = [1f, 1f, 1f],
    };

    /// <summary>
    /// torchvision's convention (RGB, 0-1, ImageNet mean and standard deviation): for trunks not taken from the
    /// CNTK ResNet-18, e.g. a ResNet-50 trained here; it keeps activations of a fresh trunk small enough for fp16.
    /// </summary>
    public static PixelNormalization Torchvision { get; } = new()
    {
        ColorOrder = "rgb",
        Scale = 1f / 255,
        Mean = [0.485f, 0.456f, 0.406f],
        Std = [0.229f, 0.224f, 0.225f],
    };

    /// <summary>Equality by value (the lists compare element by element).</summary>
    public bool Equals(PixelNormalization? other)
    {
        return other is not null && ColorOrder == other.ColorOrder && Scale.Equals(other.Scale)
            && Mean.SequenceEqual(other.Mean) && Std.SequenceEqual(other.Std);
    }

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(ColorOrder, Scale, Mean.Count > 0 ? Mean[0] : 0f);

    /// <summary>Throws naming the bad field.</summary>
    public void Validate()
    {
        if (ColorOrder is not ("bgr" or "rgb")) throw new ArgumentException($"ColorOrder: '{ColorOrder}' must be 'bgr' or 'rgb'.");
        if (!(Scale > 0)) throw new ArgumentException($"Scale: {Scale} must be positive.");
        if (Mean.Count != 3) throw new ArgumentException($"Mean: needs 3 values, got {Mean.Count}.");
        if (Std.Count != 3 || Std.Any(s => !(s > 0))) throw new ArgumentException("Std: needs 3 positive values.");
    }
}
