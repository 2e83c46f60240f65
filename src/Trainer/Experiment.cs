using ReId.ReidEncoder;
using ReId.Trainer.Data;
using ReId.Trainer.Evaluation;
using ReId.Trainer.Training;
using static TorchSharp.torch;

namespace ReId.Trainer;

/// <summary>Where the data comes from and how it is split, as given on the command line.</summary>
internal sealed record DataOptions
{
    public required string Data { get; init; }

    public required string Layout { get; init; }

    /// <summary>Keep the last N identities for validation (0: use the dataset's own train/test parts).</summary>
    public int ValidationLast { get; init; }

    /// <summary>
    /// Train on every identity, the validation ones (--validation-last) included: for the final model once the
    /// recipe is fixed; its figures are then on seen identities and say so.
    /// </summary>
    public bool TrainOnValidation { get; init; }

    /// <summary>Drop the training identities: each tracklet its own pseudo-identity (site retraining without labels).</summary>
    public bool Unlabeled { get; init; }

    /// <summary>Versions of each frame in the feature cache: the plain crop and augmented ones.</summary>
    public int Views { get; init; } = 1;

    public int Seed { get; init; } = 1;

    /// <summary>Folder of feature cache files; null keeps features in memory only.</summary>
    public string? CacheDirectory { get; init; }
}

/// <summary>The tracklets evaluated: each query against the gallery tracklets of other cameras.</summary>
internal sealed record EvaluationSplit(IReadOnlyList<CachedTracklet> Tracklets, int[] Queries, int[] Gallery)
{
    /// <summary>The dataset's tracklets (image paths) behind <see cref="Tracklets"/>, in the same order.</summary>
    public IReadOnlyList<Tracklet> Sources { get; init; } = [];
}

/// <summary>A dataset read, split by identity and turned into cached trunk features, ready to train and evaluate.</summary>
internal sealed class Experiment : IDisposable
{
    private static readonly string[] TrainSubsets = ["bounding_box_train", "bbox_train", "train"];
    private static readonly string[] QuerySubsets = ["query"];
    private static readonly string[] GallerySubsets = ["bounding_box_test", "gallery"];
    private static readonly string[] TestSubsets = ["bbox_test"];

    private Experiment(TrackletSet source, FeatureCache cache, IReadOnlyList<CachedTracklet> train, EvaluationSplit evaluation, string description)
    {
        Source = source;
        Cache = cache;
        Train = train;
        Evaluation = evaluation;
        Description = description;
    }

    public TrackletSet Source { get; }

    public FeatureCache Cache { get; }

    public IReadOnlyList<CachedTracklet> Train { get; }

    public EvaluationSplit Evaluation { get; }

    /// <summary>True when the evaluated identities were trained on too (<see cref="DataOptions.TrainOnValidation"/>).</summary>
    public bool TrainedOnEvaluation { get; init; }

    /// <summary>What was trained on and evaluated on, for the model file's description.</summary>
    public string Description { get; }

    /// <summary>Reads, checks and splits the data and computes (or loads) its trunk features.</summary>
    public static Experiment Prepare(
        DataOptions options, ITrunkFeatures trunk, bool forTraining, TextWriter log, CancellationToken cancellationToken = default)
    {
        var set = DatasetLayouts.Read(options.Layout, options.Data);
        set.EnsureTrainable(forTraining ? "Training" : "Evaluation");
        TrackletSet train, test;
        Func<Tracklet, bool> isQuery = _ => true, isGallery = _ => true;
        string description;
        if (options.ValidationLast > 0)
        {
            (train, test) = Splits.LastIdentities(set, options.ValidationLast);
            description = $"{set.Layout} '{options.Data}': {train.IdentityCount} identities for training, the last {test.IdentityCount} kept for validation";
        }
        else if (set.Tracklets.Any(t => TrainSubsets.Contains(t.Subset)) && set.Tracklets.Any(t => !TrainSubsets.Contains(t.Subset)))
        {
            train = set with { Tracklets = set.Tracklets.Where(t => TrainSubsets.Contains(t.Subset)).ToList() };
            test = set with { Tracklets = set.Tracklets.Where(t => !TrainSubsets.Contains(t.Subset)).ToList() };
            if (test.Tracklets.Any(t => QuerySubsets.Contains(t.Subset)))
            {
                isQuery = t => QuerySubsets.Contains(t.Subset);
                isGallery = t => GallerySubsets.Contains(t.Subset) || TestSubsets.Contains(t.Subset);
            }

            description = $"{set.Layout} '{options.Data}': its train part ({train.IdentityCount} identities) and test part ({test.IdentityCount} identities)";
        }
        else if (forTraining)
        {
            throw new DatasetException(
                $"The {set.Layout} data at '{options.Data}' has no separate train and test parts: give --validation-last N to keep N identities apart.");
        }
        else
        {
            (train, test) = (set with { Tracklets = [] }, set);
            description = $"{set.Layout} '{options.Data}': all {set.IdentityCount} identities";
        }

        if (forTraining && options.TrainOnValidation)
        {
            if (options.ValidationLast <= 0) throw new DatasetException("Training on the validation identities needs --validation-last N.");
            train = set;
            description = $"{set.Layout} '{options.Data}': all {set.IdentityCount} identities for training; figures on the last {test.IdentityCount}, which were trained on (seen identities)";
        }

        if (forTraining)
        {
            train.EnsureTrainable("Training");
            if (options.Unlabeled)
            {
                var (unlabeled, report) = PseudoLabeler.Unlabeled(train);
                log.WriteLine($"unlabeled: {report.Tracklets} tracklets -> {report.Identities} pseudo-identities (identities of the data not used)");
                train = unlabeled;
                description += "; trained without its labels (one pseudo-identity per tracklet)";
            }
        }

        test.EnsureTrainable("Evaluation");
        // for training the whole dataset is cached (not only the parts used now), so train and ablation share one
        // cache; evaluating needs only the evaluated frames
        var all = forTraining ? set : test;
        string? file = options.CacheDirectory is null
            ? null
            : Path.Combine(options.CacheDirectory, $"features-{set.Layout}-{Fnv(Path.GetFullPath(options.Data) + trunk.Id)}-v{options.Views}-s{options.Seed}{(forTraining ? "" : $"-eval{options.ValidationLast}")}.bin");
        int views = options.Views;
        var started = DateTime.UtcNow;
        FeatureCache cache;
        using (var progress = new ProgressReporter("trunk features", "frames"))
        {
            cache = FeatureCache.Build(all, trunk, views, options.Seed, file,
                new SyncProgress<(int Done, int Total)>(p => progress.Report(new ProgressStatus(p.Done, p.Total, "frames", $"{views} views each"))),
                cancellationToken);
        }

        log.WriteLine($"trunk features ready: {cache.Maps.shape[0]} maps in {(DateTime.UtcNow - started).TotalSeconds:F0} s" +
                      (file is null ? "" : $" (cache {file})"));
        if (cache.Skipped > 0)
        {
            log.WriteLine($"skipped {cache.Skipped} missing or unreadable images, e.g. {string.Join(", ", cache.SkippedExamples)}");
        }

        var testTracklets = new List<CachedTracklet>();
        var sources = new List<Tracklet>();
        var queries = new List<int>();
        var gallery = new List<int>();
        foreach (var original in test.Tracklets)
        {
            if (cache.Resolve(original) is not { } cached)
            {
                continue;
            }

            int i = testTracklets.Count;
            testTracklets.Add(cached);
            sources.Add(original);
            if (isQuery(original))
            {
                queries.Add(i);
            }

            if (isGallery(original))
            {
                gallery.Add(i);
            }
        }

        return new Experiment(set, cache, forTraining ? cache.Resolve(train.Tracklets) : [], new EvaluationSplit(testTracklets, [.. queries], [.. gallery]) { Sources = sources }, description)
        {
            TrainedOnEvaluation = forTraining && options.TrainOnValidation,
        };
    }

    /// <summary>Embeds the evaluation tracklets with <paramref name="head"/> and scores them.</summary>
    public ReidMetrics Evaluate(DrsaHead head, int frames, Device device) => Evaluate(new TrainableEncoder(head), frames, device);

    /// <summary>Embeds the evaluation tracklets with <paramref name="encoder"/> (head and fine-tuned trunk blocks) and scores them.</summary>
    public ReidMetrics Evaluate(TrainableEncoder encoder, int frames, Device device) =>
        Score(HeadTrainer.Embed(encoder, Cache, Evaluation.Tracklets, frames, device));

    /// <summary>Scores one embedding per evaluation tracklet (in <see cref="EvaluationSplit.Tracklets"/> order).</summary>
    public ReidMetrics Score(float[][] embeddings)
    {
        return Metrics.Evaluate(
            Evaluation.Queries, Evaluation.Gallery, embeddings,
            Evaluation.Tracklets.Select(t => t.Identity).ToArray(), Evaluation.Tracklets.Select(t => t.Camera).ToArray());
    }

    /// <summary>
    /// How the spatial masks spread on the evaluation tracklets: the Hellinger penalty Q and the raw-mask penalty Q'
    /// per frame, and the mean overlap of two masks of a frame (Bhattacharyya coefficient, sum of sqrt(s_i s_j):
    /// 1 for the same mask, 0 for disjoint ones).
    /// </summary>
    public MaskStatistics Masks(TrainableEncoder encoder, int frames, Device device)
    {
        encoder.To(device);
        encoder.Eval();
        double q = 0, qRaw = 0, overlap = 0;
        long count = 0;
        int k = encoder.Config.K;
        using var noGrad = no_grad();
        for (int start = 0; start < Evaluation.Tracklets.Count; start += 64)
        {
            using var scope = NewDisposeScope();
            var batch = Evaluation.Tracklets.Skip(start).Take(64).ToList();
            using var output = encoder.Forward(Cache.Batch(batch, frames, null, device));
            var masks = output.Masks.flatten(3).to(ScalarType.Float64); // [B, N, K, L]
            long n = masks.shape[0] * masks.shape[1];
            q += Regularizers.Compute(masks, DiversityRegularizer.Hellinger).item<float>() * batch.Count / frames;
            qRaw += Regularizers.Compute(masks, DiversityRegularizer.RawMasks).item<float>() * batch.Count / frames;
            if (k > 1)
            {
                var roots = masks.sqrt();
                var gram = matmul(roots, roots.transpose(2, 3)); // [B, N, K, K]
                var offDiagonal = gram.sum([2, 3]) - gram.diagonal(0, 2, 3).sum(-1);
                overlap += offDiagonal.sum().item<double>() / (k * (k - 1));
            }

            count += n;
        }

        int tracklets = Math.Max(1, Evaluation.Tracklets.Count);
        return new MaskStatistics(q / tracklets, qRaw / tracklets, k > 1 ? overlap / Math.Max(1, count) : double.NaN);
    }

    public void Dispose() => Cache.Dispose();

    private static string Fnv(string text)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in text)
        {
            hash = (hash ^ c) * 1099511628211;
        }

        return hash.ToString("x16", System.Globalization.CultureInfo.InvariantCulture);
    }
}

/// <summary>Spatial mask figures of a model on the evaluation tracklets (see <see cref="Experiment.Masks"/>).</summary>
internal sealed record MaskStatistics(double Hellinger, double RawMasks, double Overlap);

/// <summary>Reports on the caller's thread, in order (Progress&lt;T&gt; would post to the thread pool).</summary>
internal sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
