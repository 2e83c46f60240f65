using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// Encodes tracklets (lists of crops) into L2-normalised embeddings. Callers preprocess their crops on their
/// own threads and queue them on a bounded channel; one dedicated inference thread (TorchSharp dispose scopes
/// belong to one thread) gathers what is queued into batches and runs them under inference mode, each batch in
/// its own dispose scope, so memory stays flat over a long run.
/// </summary>
public sealed class TrackletEncoder : IAsyncDisposable
{
    private readonly ReidModel model;
    private readonly ReidEncoderOptions options;
    private readonly ILogger logger;
    private readonly Channel<Request> queue;
    private readonly Thread thread;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Device device;
    private readonly ScalarType dtype;
    private readonly int frames;
    private readonly int planeFloats;
    private long batches;
    private long tracklets;
    private int disposed;

    /// <summary>Loads the configured model file (or the default model) and starts the inference thread.</summary>
    public TrackletEncoder(ReidEncoderOptions options, ILogger<TrackletEncoder>? logger = null)
        : this(LoadModel(options), options, logger)
    {
    }

    /// <summary>Starts the inference thread on a given model, which the encoder then owns and disposes.</summary>
    public TrackletEncoder(ReidModel model, ReidEncoderOptions options, ILogger? logger = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.model = model;
        this.options = options;
        this.logger = logger ?? NullLogger.Instance;
        device = DeviceSelection.Resolve(options.Device);
        if (options.Fp16 && device.type != DeviceType.CUDA)
        {
            throw new ArgumentException($"Encoder:Fp16: half precision needs a CUDA device; the device is '{options.Device}' ({device}).");
        }
        var config = model.Description.Architecture;
        frames = config.Frames;
        if (options.MaxBatchCrops < frames)
        {
            throw new ArgumentException($"Encoder:MaxBatchCrops: {options.MaxBatchCrops} is below the model's {frames} frames per tracklet.");
        }
        planeFloats = 3 * config.InputHeight * config.InputWidth;
        dtype = options.Fp16 ? ScalarType.Float16 : ScalarType.Float32;
        if (options.CpuThreads > 0) set_num_threads(options.CpuThreads);
        model.Model.eval();
        ModuleExtensionMethods.to(model.Model, device, dtype);

        queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = true,
        });
        thread = new Thread(Run) { IsBackground = true, Name = "reid-encoder" };
        thread.Start();
        Log.Started(this.logger, ModelVersion, device.ToString(), options.Fp16 ? "fp16" : "fp32", frames);
    }

    /// <summary>The model's version: store it with every embedding.</summary>
    public string ModelVersion => model.Description.ModelVersion;

    /// <summary>The loaded model's description.</summary>
    public ReidModelDescription Description => model.Description;

    /// <summary>The device the model runs on, e.g. "cpu" or "cuda:0".</summary>
    public string Device => device.ToString();

    /// <summary>Size of the embeddings.</summary>
    public int EmbeddingSize => model.Description.Architecture.EmbeddingSize;

    /// <summary>Frames sampled from each tracklet.</summary>
    public int Frames => frames;

    internal long Batches => Interlocked.Read(ref batches);

    /// <summary>
    /// Embeds one tracklet: its crops (any size, BGR24) in time order; N of them are picked by restricted
    /// sampling (first frame of each of N equal chunks; frames repeat when there are fewer than N).
    /// </summary>
    public async Task<float[]> EncodeAsync(IReadOnlyList<Crop> crops, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(crops);
        if (crops.Count == 0) throw new ArgumentException("a tracklet needs at least one crop.", nameof(crops));
        ObjectDisposedException.ThrowIf(Volatile.Read(ref disposed) != 0, this);
        var request = Prepare(crops, cancellationToken);
        try
        {
            await queue.Writer.WriteAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is ChannelClosedException or OperationCanceledException)
        {
            request.Release();
            if (e is OperationCanceledException) throw;
            throw new ObjectDisposedException(nameof(TrackletEncoder), "the encoder was stopped.");
        }
        using var registration = cancellationToken.Register(static state => ((Request)state!).Done.TrySetCanceled(), request);
        return await request.Done.Task.ConfigureAwait(false);
    }

    /// <summary>Embeds one image (an upload): decoded, resized, taken as a one-frame tracklet.</summary>
    public Task<float[]> EncodeImageAsync(byte[] encodedImage, CancellationToken cancellationToken = default)
    {
        var crop = ImageDecoder.Decode(encodedImage);
        return EncodeAsync([crop], cancellationToken);
    }

    /// <summary>Stops taking work, finishes what is queued, stops the thread, frees the model.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref disposed, 1) != 0) return;
        queue.Writer.TryComplete();
        await stopped.Task.ConfigureAwait(false);
        model.Dispose();
        Log.Stopped(logger, Interlocked.Read(ref batches), Interlocked.Read(ref tracklets));
    }

    private static ReidModel LoadModel(ReidEncoderOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        return string.IsNullOrEmpty(options.ModelPath)
            ? ReidModel.CreateDefault(options.Architecture)
            : ReidModelFile.Load(options.ModelPath, options.Architecture);
    }

    private Request Prepare(IReadOnlyList<Crop> crops, CancellationToken cancellationToken)
    {
        var config = model.Description.Architecture;
        var picked = FrameSampling.Sample(crops.Count, frames);
        // The trunk runs once per distinct crop; repeated frames are gathered from its output.
        var distinct = picked.Distinct().ToArray();
        var frameIndex = picked.Select(p => Array.IndexOf(distinct, p)).ToArray();
        var pixels = ArrayPool<float>.Shared.Rent(distinct.Length * planeFloats);
        try
        {
            for (int i = 0; i < distinct.Length; i++)
            {
                CropPreprocessor.Fill(crops[distinct[i]], model.Description.Pixels, config.InputHeight, config.InputWidth,
                    pixels.AsSpan(i * planeFloats, planeFloats));
            }
        }
        catch
        {
            ArrayPool<float>.Shared.Return(pixels);
            throw;
        }
        return new Request(pixels, distinct.Length, frameIndex, cancellationToken);
    }

    private void Run()
    {
        try
        {
            using var inference = inference_mode();
            using var staging = empty([options.MaxBatchCrops, 3, model.Description.Architecture.InputHeight, model.Description.Architecture.InputWidth], ScalarType.Float32);
            var batch = new List<Request>();
            // A dedicated thread may block: waiting here keeps every tensor operation on this one thread.
            while (queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                int crops = 0;
                while (batch.Count < options.MaxBatchTracklets && queue.Reader.TryPeek(out var next)
                       && (batch.Count == 0 || crops + next.Distinct <= options.MaxBatchCrops))
                {
                    queue.Reader.TryRead(out _);
                    if (next.Cancellation.IsCancellationRequested)
                    {
                        next.Release();
                        next.Done.TrySetCanceled(next.Cancellation);
                        continue;
                    }
                    batch.Add(next);
                    crops += next.Distinct;
                }
                if (batch.Count == 0) continue;
                try
                {
                    EncodeBatch(batch, staging);
                }
                catch (Exception e) when (e is not OutOfMemoryException)
                {
                    Log.BatchFailed(logger, e, batch.Count);
                    foreach (var r in batch) r.Done.TrySetException(new InvalidOperationException($"encoding failed: {e.Message}", e));
                }
                finally
                {
                    foreach (var r in batch) r.Release();
                }
            }
        }
        finally
        {
            stopped.TrySetResult();
        }
    }

    private void EncodeBatch(List<Request> batch, Tensor staging)
    {
        using var scope = NewDisposeScope();
        int total = 0;
        var index = new long[batch.Count * frames];
        for (int b = 0; b < batch.Count; b++)
        {
            var r = batch[b];
            for (int n = 0; n < frames; n++) index[(b * frames) + n] = total + r.FrameIndex[n];
            CopyInto(staging, total * planeFloats, r.Pixels.AsSpan(0, r.Distinct * planeFloats));
            total += r.Distinct;
        }
        var images = staging.narrow(0, 0, total).to(dtype, device);
        var maps = model.Model.Trunk.forward(images);
        var gathered = maps.index_select(0, tensor(index, device: device))
            .reshape(batch.Count, frames, maps.shape[1], maps.shape[2], maps.shape[3]);
        using var output = model.Model.Head.forward(gathered);
        var embeddings = output.Embedding.to(ScalarType.Float32).cpu().data<float>().ToArray();
        int size = (int)output.Embedding.shape[1];
        Interlocked.Increment(ref batches);
        Interlocked.Add(ref tracklets, batch.Count);
        for (int b = 0; b < batch.Count; b++) batch[b].Done.TrySetResult(embeddings.AsSpan(b * size, size).ToArray());
    }

    private static void CopyInto(Tensor staging, int offsetFloats, ReadOnlySpan<float> values)
    {
        values.CopyTo(MemoryMarshal.Cast<byte, float>(staging.bytes).Slice(offsetFloats, values.Length));
    }

    private sealed class Request(float[] pixels, int distinct, int[] frameIndex, CancellationToken cancellation)
    {
        private float[]? pixels = pixels;

        public float[] Pixels => pixels ?? throw new InvalidOperationException("request already released.");

        public int Distinct { get; } = distinct;

        public int[] FrameIndex { get; } = frameIndex;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<float[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release()
        {
            var p = Interlocked.Exchange(ref pixels, null);
            if (p is not null) ArrayPool<float>.Shared.Return(p);
        }
    }
}
