using Microsoft.Extensions.Logging;
using Microsoft.ML.OnnxRuntime;

namespace ReId.Detection;

/// <summary>YOLOX (COCO, person class) through ONNX Runtime.</summary>
internal sealed class YoloxDetector : IPersonDetector
{
    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly float _scoreThreshold;
    private readonly float _nmsThreshold;
    private readonly float[] _input;
    private readonly float[] _output;
    private readonly float[] _ratios;
    private readonly int _planeSize;
    private readonly int _outputSize;
    private readonly int _tiles;

    private YoloxDetector(InferenceSession session, ModelShape shape, DetectorOptions options, string description)
    {
        _session = session;
        Shape = shape;
        _inputNames = [shape.InputName];
        _outputNames = [shape.OutputName];
        _scoreThreshold = options.MinScore;
        _nmsThreshold = options.NmsIouThreshold;
        _tiles = options.Tiles;
        MaxBatch = shape.DynamicBatch ? options.BatchSize : 1;
        _planeSize = 3 * shape.InputSize * shape.InputSize;
        _outputSize = shape.Anchors * YoloxCodec.Attributes;
        _input = new float[MaxBatch * _planeSize];
        _output = new float[MaxBatch * _outputSize];
        _ratios = new float[MaxBatch];
        Description = description;
    }

    public string Name => "yolox";

    public string Description { get; }

    /// <summary>Images per model run: the configured maximum when the model's batch dimension is free, else 1.</summary>
    public int MaxBatch { get; }

    internal ModelShape Shape { get; }

    /// <summary>Loads and checks the model; refuses one whose inputs or outputs do not fit YOLOX.</summary>
    public static YoloxDetector Load(DetectorOptions options, ILogger logger)
    {
        var (sessionOptions, provider) = CreateSessionOptions(options, logger);
        using (sessionOptions)
        {
            InferenceSession session;
            try
            {
                session = new InferenceSession(options.ModelPath, sessionOptions);
            }
            catch (OnnxRuntimeException e)
            {
                throw new InvalidDataException(
                    $"Detection model '{options.ModelPath}' could not be loaded as an ONNX model: {e.Message}", e);
            }

            try
            {
                var shape = ModelShape.Check(session, options.ModelPath);
                string batch = shape.DynamicBatch ? $"batch up to {options.BatchSize}" : "batch 1 (fixed by the model)";
                var detector = new YoloxDetector(session, shape, options,
                    $"yolox ({Path.GetFileName(options.ModelPath)}, {shape.InputSize}x{shape.InputSize}, {batch}, {provider})");
                DetectionLog.DetectorLoaded(logger, detector.Description);
                return detector;
            }
            catch
            {
                session.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Session options for the configured provider. Returns the options and the provider actually used, in words
    /// (with the reason when CUDA was asked for and CPU is used).
    /// </summary>
    internal static (SessionOptions Options, string Provider) CreateSessionOptions(DetectorOptions options, ILogger logger)
    {
        var so = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
        };
        if (options.EffectiveThreads > 0)
        {
            so.IntraOpNumThreads = options.EffectiveThreads;
        }

        if (options.ExecutionProvider != "cuda")
        {
            return (so, "cpu");
        }

        string? reason = null;
        if (!OrtEnv.Instance().GetAvailableProviders().Contains("CUDAExecutionProvider"))
        {
            reason = "this build carries the CPU-only ONNX Runtime; build with -p:OnnxRuntimeGpu=true for CUDA";
        }
        else
        {
            try
            {
                so.AppendExecutionProvider_CUDA(options.DeviceId);
                return (so, $"cuda:{options.DeviceId}");
            }
            catch (OnnxRuntimeException e)
            {
                reason = $"the CUDA provider did not start: {e.Message}";
            }
        }

        if (!options.FallBackToCpu)
        {
            so.Dispose();
            throw new InvalidOperationException(
                $"Detection:ExecutionProvider = 'cuda' cannot be used: {reason}. Set Detection:FallBackToCpu = true to run on CPU.");
        }

        DetectionLog.CudaFallback(logger, reason);
        return (so, $"cpu (cuda asked for: {reason})");
    }

    public IReadOnlyList<IReadOnlyList<PersonDetection>> Detect(IReadOnlyList<BgrImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        var views = new List<(int Image, ImageTiles.Tile Tile)>(images.Count);
        for (int i = 0; i < images.Count; i++)
        {
            if (images[i].IsEmpty)
            {
                throw new ArgumentException($"Image {i} of the batch is empty.", nameof(images));
            }

            foreach (var tile in ImageTiles.Of(images[i].Width, images[i].Height, _tiles))
            {
                views.Add((i, tile));
            }
        }

        var found = new List<PersonDetection>[images.Count];
        for (int start = 0; start < views.Count; start += MaxBatch)
        {
            int n = Math.Min(MaxBatch, views.Count - start);
            for (int v = 0; v < n; v++)
            {
                var (i, tile) = views[start + v];
                var view = tile.IsWhole ? images[i] : tile.Cut(images[i]);
                _ratios[v] = YoloxCodec.Letterbox(view, _input.AsSpan(v * _planeSize, _planeSize), Shape.InputSize);
            }

            Run(n);
            for (int v = 0; v < n; v++)
            {
                var (i, tile) = views[start + v];
                var raw = YoloxCodec.Decode(_output.AsSpan(v * _outputSize, _outputSize), _ratios[v],
                    tile.Width, tile.Height, _scoreThreshold, Shape.InputSize);
                (found[i] ??= []).AddRange(tile.IsWhole ? raw : tile.ToFrame(raw));
            }
        }

        return [.. found.Select(f => (IReadOnlyList<PersonDetection>)YoloxCodec.Nms(f, _nmsThreshold))];
    }

    private void Run(int n)
    {
        long s = Shape.InputSize;
        using var input = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _input.AsMemory(0, n * _planeSize), [n, 3, s, s]);
        using var output = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance,
            _output.AsMemory(0, n * _outputSize), [n, Shape.Anchors, YoloxCodec.Attributes]);
        _session.Run(_runOptions, _inputNames, [input], _outputNames, [output]);
    }

    public void Dispose()
    {
        _session.Dispose();
        _runOptions.Dispose();
    }
}

/// <summary>The input and output layout of a YOLOX model, as checked on load.</summary>
internal sealed record ModelShape(string InputName, string OutputName, int InputSize, int Anchors, bool DynamicBatch)
{
    public static ModelShape Check(InferenceSession session, string path)
    {
        const string expected = "one float input [N,3,S,S] (S a multiple of 32, e.g. 416) and a float output " +
                                "[N,anchors,85] (anchors 3549 at 416)";
        string found = Describe(session);
        InvalidDataException Refuse(string what) =>
            new($"Detection model '{path}' does not fit YOLOX: {what}. Expected {expected}; found {found}.");

        if (session.InputMetadata.Count != 1)
        {
            throw Refuse($"it has {session.InputMetadata.Count} inputs");
        }

        if (session.OutputMetadata.Count < 1)
        {
            throw Refuse("it has no output");
        }

        var (inName, inMeta) = session.InputMetadata.First();
        var (outName, outMeta) = session.OutputMetadata.First();
        if (!inMeta.IsTensor || inMeta.ElementType != typeof(float))
        {
            throw Refuse($"input '{inName}' is not a float tensor");
        }

        var d = inMeta.Dimensions;
        if (d.Length != 4 || d[1] != 3 || d[2] != d[3] || d[2] <= 0 || d[2] % 32 != 0)
        {
            throw Refuse($"input '{inName}' has shape {Dims(d)}");
        }

        bool dynamicBatch = d[0] <= 0;
        if (!dynamicBatch && d[0] != 1)
        {
            throw Refuse($"input '{inName}' has a fixed batch of {d[0]}");
        }

        int size = d[2];
        int anchors = YoloxCodec.AnchorCount(size);
        var o = outMeta.Dimensions;
        if (!outMeta.IsTensor || outMeta.ElementType != typeof(float) || o.Length != 3 ||
            (o[1] > 0 && o[1] != anchors) || o[2] != YoloxCodec.Attributes)
        {
            throw Refuse($"output '{outName}' has shape {Dims(o)}");
        }

        return new ModelShape(inName, outName, size, anchors, dynamicBatch);
    }

    private static string Describe(InferenceSession session) =>
        string.Join("; ",
            session.InputMetadata.Select(kv => $"input '{kv.Key}' {kv.Value.ElementType.Name} {Dims(kv.Value.Dimensions)}")
                .Concat(session.OutputMetadata.Select(kv => $"output '{kv.Key}' {kv.Value.ElementType.Name} {Dims(kv.Value.Dimensions)}")));

    private static string Dims(int[] d) => "[" + string.Join(",", d.Select(x => x <= 0 ? "?" : x.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
