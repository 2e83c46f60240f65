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
    private readonly bool _mirrored;

    /// <param name="mirrored">Extract the crops mirrored left to right (the second view of flip-averaged embeddings).</param>
    public EncoderTrunk(ReidModel model, Device device, int tailBlocks = 0, bool mirrored = false)
    {
        _model = model;
        _device = device;
        _tailBlocks = tailBlocks;
        _mirrored = mirrored;
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
             (tailBlocks == 0 ? "" : $"|without-last-{tailBlocks}") + (mirrored ? "|mirrored" : "");
        model.Model.Trunk.to(device);
        model.Model.Trunk.eval();
    }

    public string Id { get; }

    public int Channels { get; }

    public int Height { get; }

    public int Width { get; }

    public Tensor Extract(IReadOnlyList<BgrImage> crops)
    {
        var config = _model.Description.Architecture;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = CropPreprocessor.ToTensor(
            crops.Select(c => _mirrored ? c.Mirrored() : c).ToList(),
            _model.Description.Pixels, config.InputHeight, config.InputWidth);
        return _model.Model.Trunk.ForwardPrefix(input.to(_device), _tailBlocks).MoveToOuterDisposeScope();
    }
}
