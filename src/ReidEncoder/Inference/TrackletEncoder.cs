using System.Buffers;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.ReidEncoder;

/// <summary>
/// Encodes tracklets (lists of crops) into L2-normalised embeddings. Callers resize their crops on their own
/// threads and queue them on a bounded channel; a dedicated inference thread (TorchSharp dispose scopes belong
/// to one thread) gathers what is queued into batches, ships the bytes to the device, normalises them there and
/// runs the model under inference mode, each batch in its own dispose scope, so memory stays flat over a long
/// run. On CUDA a second such thread prepares and copies its batch while the other's kernels run.
/// </summary>
public sealed class TrackletEncoder : IAsyncDisposable
{
    private readonly ReidModel model;
    private readonly ReidEncoderOptions options;
    private readonly ILogger logger;
    private readonly Channel<Request> queue;
    private readonly Thread[] threads;
    private int running;
    private readonly TaskCompletionSource stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Device device;
    private readonly ScalarType dtype;
    private readonly int frames;
    private readonly int cropBytes;
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
        cropBytes = 3 * config.InputHeight * config.InputWidth;
        dtype = options.Fp16 ? ScalarType.Float16 : ScalarType.Float32;
        if (options.CpuThreads > 0) set_num_threads(options.CpuThreads);
        model.Model.eval();
        ModuleExtensionMethods.to(model.Model, device, dtype);

        int threadCount = options.InferenceThreads > 0 ? options.InferenceThreads : device.type == DeviceType.CUDA ? 2 : 1;
        queue = Channel.CreateBounded<Request>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait,
            SingleReader = threadCount == 1,
        });
        // One thread on the CPU (libtorch already uses every core inside an operation); two on CUDA.
        threads = new Thread[threadCount];
        running = threads.Length;
        for (int i = 0; i < threads.Length; i++)
        {
            threads[i] = new Thread(Run) { IsBackground = true, Name = $"reid-encoder-{i}" };
            threads[i].Start();
        }
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
        var pixels = ArrayPool<byte>.Shared.Rent(distinct.Length * cropBytes);
        try
        {
            for (int i = 0; i < distinct.Length; i++)
            {
                CropPreprocessor.FillBytes(crops[distinct[i]], config.InputHeight, config.InputWidth, pixels.AsSpan(i * cropBytes, cropBytes));
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(pixels);
            throw;
        }
        return new Request(pixels, distinct.Length, frameIndex, cancellationToken);
    }

    private void Run()
    {
        try
        {
            using var inference = inference_mode();
            var config = model.Description.Architecture;
            using var staging = Staging(options.MaxBatchCrops, config);
            var batch = new List<Request>();
            Request? held = null;
            // A dedicated thread may block: waiting here keeps every tensor operation on this one thread.
            while (held is not null || queue.Reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
            {
                batch.Clear();
                int crops = 0;
                while (batch.Count < options.MaxBatchTracklets)
                {
                    Request? next = held;
                    held = null;
                    if (next is null && !queue.Reader.TryRead(out next)) break;
                    if (next.Cancellation.IsCancellationRequested)
                    {
                        next.Release();
                        next.Done.TrySetCanceled(next.Cancellation);
                        continue;
                    }
                    if (batch.Count > 0 && crops + next.Distinct > options.MaxBatchCrops)
                    {
                        held = next; // starts the next batch
                        break;
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
        catch (Exception e)
        {
            // This thread cannot go on (out of memory, say): stop taking work so that no caller waits forever.
            Log.BatchFailed(logger, e, 0);
            queue.Writer.TryComplete(e);
        }
        finally
        {
            if (Interlocked.Decrement(ref running) == 0)
            {
                queue.Writer.TryComplete();
                while (queue.Reader.TryRead(out var left))
                {
                    left.Release();
                    left.Done.TrySetException(new ObjectDisposedException(nameof(TrackletEncoder), "the encoder stopped."));
                }
                stopped.TrySetResult();
            }
        }
    }

    /// <summary>Host buffer for one batch of crop bytes; page-locked on CUDA so that the copy to the device is fast.</summary>
    private Tensor Staging(int crops, DrsaConfig config)
    {
        var pageable = empty([crops, config.InputHeight, config.InputWidth, 3], ScalarType.Byte);
        if (device.type != DeviceType.CUDA) return pageable;
        try
        {
            var pinned = pageable.pin_memory();
            pageable.Dispose();
            return pinned;
        }
        catch (ExternalException)
        {
            return pageable; // no page-locked memory to be had: copies are slower, results the same
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
            r.Pixels.AsSpan(0, r.Distinct * cropBytes).CopyTo(staging.bytes.Slice(total * cropBytes));
            total += r.Distinct;
        }
        var images = CropPreprocessor.Normalize(staging.narrow(0, 0, total).to(device), model.Description.Pixels, dtype);
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

    private sealed class Request(byte[] pixels, int distinct, int[] frameIndex, CancellationToken cancellation)
    {
        private byte[]? pixels = pixels;

        public byte[] Pixels => pixels ?? throw new InvalidOperationException("request already released.");

        public int Distinct { get; } = distinct;

        public int[] FrameIndex { get; } = frameIndex;

        public CancellationToken Cancellation { get; } = cancellation;

        public TaskCompletionSource<float[]> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public void Release()
        {
            var p = Interlocked.Exchange(ref pixels, null);
            if (p is not null) ArrayPool<byte>.Shared.Return(p);
        }
    }
}
