using ReId.ReidEncoder;
using ReId.Trainer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>The encoder's own trunk and preprocessing, frozen, as the feature cache's source.</summary>
internal sealed class EncoderTrunk : ITrunkFeatures
{
    private readonly ReidModel _model;
    private readonly Device _device;

    public EncoderTrunk(ReidModel model, Device device)
    {
        _model = model;
        _device = device;
        var config = model.Description.Architecture;
        Channels = config.TrunkChannels;
        Height = config.InputHeight / ResNetTrunk.Stride;
        Width = config.InputWidth / ResNetTrunk.Stride;
        // a fine-tuned trunk is part of the file, so the file's version names it; the stock one is named by its weights
        Id = model.Description.StockTrunk
            ? $"{model.Description.TrunkWeights}|{config.Trunk}|{config.InputHeight}x{config.InputWidth}|{model.Description.Pixels.ColorOrder}"
            : $"{model.ModelVersion}|{config.InputHeight}x{config.InputWidth}";
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
        return _model.Model.Trunk.forward(input.to(_device)).MoveToOuterDisposeScope();
    }
}
