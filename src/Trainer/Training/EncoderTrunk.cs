using ReId.ReidEncoder;
using ReId.Trainer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>
/// The frozen part of the encoder's trunk, with its preprocessing, as the feature cache's source: the whole trunk
/// when only the head trains, the trunk up to its last <c>tailBlocks</c> blocks when those are fine-tuned too
/// (then the cache holds the maps those blocks read).
/// </summary>
internal sealed class EncoderTrunk : ITrunkFeatures
{
    private readonly ReidModel _model;
    private readonly Device _device;
    private readonly int _tailBlocks;

    public EncoderTrunk(ReidModel model, Device device, int tailBlocks = 0)
    {
        _model = model;
        _device = device;
        _tailBlocks = tailBlocks;
        var config = model.Description.Architecture;
        var (channels, stride) = model.Model.Trunk.PrefixShape(tailBlocks);
        Channels = channels;
        Height = config.InputHeight / stride;
        Width = config.InputWidth / stride;
        // a fine-tuned trunk is part of the file, so the file's version names it; the stock one is named by its weights
        string weights = model.Description.StockTrunk && model.Description.FineTunedBlocks == 0
            ? $"{model.Description.TrunkWeights}|{config.Trunk}"
            : model.ModelVersion;
        Id = $"{weights}|{config.InputHeight}x{config.InputWidth}|{model.Description.Pixels.ColorOrder}" +
             (tailBlocks == 0 ? "" : $"|without-last-{tailBlocks}");
        model.Model.Trunk.to(device);
        model.Model.Trunk.eval();
    }

    public string Id { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public Tensor Extract(IReadOnlyList<BgrCrop> crops)
    {
        var config = _model.Description.Architecture;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = CropPreprocessor.ToTensor(
            crops.Select(c => new Crop(c.Bgr, c.Width, c.Height)).ToList(),
            _model.Description.Pixels, config.InputHeight, config.InputWidth);
        return _model.Model.Trunk.ForwardPrefix(input.to(_device), _tailBlocks).MoveToOuterDisposeScope();
    }
}

/// <summary>Another trunk's features of horizontally mirrored crops: the second half of flip-averaged embeddings.</summary>
internal sealed class MirroredTrunk(ITrunkFeatures inner) : ITrunkFeatures
{
    public string Id { get; } = inner.Id + "|mirrored";

    public int Channels => inner.Channels;

    public int Height => inner.Height;

    public int Width => inner.Width;

    public Tensor Extract(IReadOnlyList<BgrCrop> crops) => inner.Extract(crops.Select(Mirror).ToList());

    private static BgrCrop Mirror(BgrCrop crop)
    {
        var mirrored = new byte[crop.Bgr.Length];
        int row = crop.Width * 3;
        for (int y = 0; y < crop.Height; y++)
        {
            for (int x = 0; x < crop.Width; x++)
            {
                Buffer.BlockCopy(crop.Bgr, (y * row) + (x * 3), mirrored, (y * row) + ((crop.Width - 1 - x) * 3), 3);
            }
        }

        return crop with { Bgr = mirrored };
    }
}
