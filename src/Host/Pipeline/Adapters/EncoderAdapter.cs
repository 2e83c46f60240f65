using Microsoft.Extensions.Logging;
using ReId.ReidEncoder;

namespace ReId.Host.Pipeline.Adapters;

/// <summary>The DRSA tracklet encoder (TorchSharp, its own inference thread) as the pipeline's embedder.</summary>
internal sealed partial class EncoderAdapter(TrackletEncoder encoder, bool flipAverage, string modelDescription) : ITrackletEmbedder
{
    public string ModelVersion => encoder.ModelVersion;

    /// <summary>Which model is in use ("trained default ...", "untrained default ...", "model file ...") and its version.</summary>
    public string ModelDescription => $"{modelDescription}, version {encoder.ModelVersion}";

    public string Device => encoder.Device;

    /// <summary>The model's embedding size (its description's EmbeddingSize).</summary>
    public int Dimension => encoder.EmbeddingSize;

    /// <summary>What the model was trained on, from its file ("none: ..." for the default model).</summary>
    public string TrainingData => encoder.Description.Training.Data;

    /// <summary>False for the default model (ImageNet trunk, untrained head): its embeddings are generic features.</summary>
    public bool IsTrained => !TrainingData.StartsWith("none", StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Loads the configured model on the configured device: a model file, "untrained", or (empty, "default") the
    /// trained model shipped beside the program, falling back to the untrained default with a warning when absent.
    /// </summary>
    public static EncoderAdapter Create(ReidEncoderOptions configured, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(configured);
        var choice = DefaultEncoderModel.Resolve(configured.ModelPath);
        var logger = loggerFactory.CreateLogger<EncoderAdapter>();
        if (choice.IsFallback)
        {
            LogFallback(logger, choice.Description);
        }

        // The service's keywords resolved to a file (or none: the untrained default); CPU threads 0 is half the cores
        // here, so that the detector and the encoder do not slow each other down.
        var options = configured with
        {
            ModelPath = choice.Path,
            CpuThreads = configured.CpuThreads > 0 ? configured.CpuThreads : CpuShare.Half(),
        };
        options.Validate();
        var adapter = new EncoderAdapter(new TrackletEncoder(options, loggerFactory.CreateLogger<TrackletEncoder>()), configured.FlipAverage, choice.Description);
        LogModel(logger, adapter.ModelDescription);
        return adapter;
    }

    [LoggerMessage(EventId = 30, Level = LogLevel.Warning, Message = "Encoder: {Description}; where-else works but matches less well")]
    private static partial void LogFallback(ILogger logger, string description);

    [LoggerMessage(EventId = 31, Level = LogLevel.Information, Message = "Encoder model: {Description}")]
    private static partial void LogModel(ILogger logger, string description);

    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<BgrImage>> tracklets, CancellationToken cancellationToken = default)
    {
        // The encoder batches concurrent requests on its inference thread: send them all, then collect. The crops go
        // to it as they are (the encoder's input is the pipeline's image type).
        var tasks = tracklets.Select(t => encoder.EncodeAsync(t, cancellationToken)).ToList();
        if (!flipAverage)
        {
            return await Task.WhenAll(tasks).ConfigureAwait(false);
        }

        var mirrored = tracklets.Select(t => encoder.EncodeAsync([.. t.Select(c => c.Mirrored())], cancellationToken)).ToList();
        var plain = await Task.WhenAll(tasks).ConfigureAwait(false);
        var flipped = await Task.WhenAll(mirrored).ConfigureAwait(false);
        return [.. plain.Zip(flipped, Embedding.Average)];
    }

    public ValueTask DisposeAsync() => encoder.DisposeAsync();
}
