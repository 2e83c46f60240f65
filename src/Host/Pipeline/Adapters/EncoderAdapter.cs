using Microsoft.Extensions.Logging;
using ReId.Host.Configuration;
using ReId.ReidEncoder;

namespace ReId.Host.Pipeline.Adapters;

/// <summary>The DRSA tracklet encoder (TorchSharp, its own inference thread) as the pipeline's embedder.</summary>
internal sealed class EncoderAdapter(TrackletEncoder encoder) : ITrackletEmbedder
{
    public string ModelVersion => encoder.ModelVersion;

    public string Device => encoder.Device;

    /// <summary>Loads the configured model file (or the encoder's default model) on the configured device.</summary>
    public static EncoderAdapter Create(EncoderSection section, ILoggerFactory loggerFactory)
    {
        var options = new ReidEncoderOptions
        {
            Device = section.Device,
            ModelPath = string.IsNullOrWhiteSpace(section.ModelPath) ? null : section.ModelPath,
            MaxBatchTracklets = section.BatchSize,
        };
        options.Validate();
        return new EncoderAdapter(new TrackletEncoder(options, loggerFactory.CreateLogger<TrackletEncoder>()));
    }

    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<Crop>> tracklets, CancellationToken cancellationToken = default)
    {
        // The encoder batches concurrent requests on its inference thread: send them all, then collect.
        var tasks = tracklets.Select(t => encoder.EncodeAsync(
            [.. t.Select(c => new ReId.ReidEncoder.Crop(c.Bgr, c.Width, c.Height))], cancellationToken)).ToList();
        return await Task.WhenAll(tasks).ConfigureAwait(false);
    }

    public ValueTask DisposeAsync() => encoder.DisposeAsync();
}
