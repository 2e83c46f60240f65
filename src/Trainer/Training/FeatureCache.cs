using System.Security.Cryptography;
using System.Text;
using ReId.Trainer.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace ReId.Trainer.Training;

/// <summary>A tracklet whose frames are rows of a <see cref="FeatureCache"/> (frames that failed to read are gone).</summary>
public sealed record CachedTracklet(string Identity, int Camera, int[] Frames, string Subset = "");

/// <summary>
/// Trunk feature maps of every frame of a dataset, computed once: with the trunk frozen, training only runs the
/// head, which makes CPU training practical. Each frame is stored in <see cref="Views"/> versions: view 0 is
/// the plain crop (used for evaluation), the others are augmented crops (flip, small crop, random erasing), so
/// that training still sees augmentation. Maps are kept as float16 to halve the memory.
/// </summary>
public sealed class FeatureCache : IDisposable
{
    private const string Magic = "REID-FEATURES-1";
    private const string PackMagic = "REID-FEATURE-PACK-1";

    private readonly Dictionary<string, int> _rows;
    private readonly bool[] _valid;

    private FeatureCache(Tensor maps, int views, string[] paths, bool[] valid, int skipped, IReadOnlyList<string> skippedExamples)
    {
        Maps = maps;
        Views = views;
        _valid = valid;
        _rows = new Dictionary<string, int>(paths.Length, StringComparer.Ordinal);
        for (int i = 0; i < paths.Length; i++)
        {
            _rows[paths[i]] = i;
        }

        Skipped = skipped;
        SkippedExamples = skippedExamples;
    }

    /// <summary>
    /// Writes the maps of <paramref name="tracklets"/> alone, with the tracklets, to a self-contained file: enough to
    /// train a head elsewhere (another machine, a GPU) without the images or the trunk.
    /// </summary>
    public void WritePack(string path, IReadOnlyList<CachedTracklet> tracklets)
    {
        ArgumentNullException.ThrowIfNull(tracklets);
        var frames = tracklets.SelectMany(t => t.Frames).Distinct().Order().ToArray();
        var newIndex = frames.Select((f, i) => (f, i)).ToDictionary(x => x.f, x => x.i);
        var rows = frames.SelectMany(f => Enumerable.Range(0, Views).Select(v => ((long)f * Views) + v)).ToArray();
        using var index = tensor(rows);
        using var maps = Maps.index_select(0, index);
        using var stream = File.Create(path);
        using var writer = new BinaryWriter(stream);
        writer.Write(PackMagic);
        writer.Write(Views);
        writer.Write(tracklets.Count);
        foreach (var t in tracklets)
        {
            writer.Write(t.Identity);
            writer.Write(t.Camera);
            writer.Write(t.Subset);
            writer.Write(t.Frames.Length);
            foreach (int f in t.Frames)
            {
                writer.Write(newIndex[f]);
            }
        }

        maps.Save(writer);
    }

    /// <summary>Reads a file written by <see cref="WritePack"/>.</summary>
    public static (FeatureCache Cache, IReadOnlyList<CachedTracklet> Tracklets) ReadPack(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != PackMagic)
        {
            throw new InvalidDataException($"'{path}' is not a feature pack.");
        }

        int views = reader.ReadInt32();
        var tracklets = new List<CachedTracklet>();
        for (int count = reader.ReadInt32(), i = 0; i < count; i++)
        {
            string identity = reader.ReadString();
            int camera = reader.ReadInt32();
            string subset = reader.ReadString();
            var frames = Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadInt32()).ToArray();
            tracklets.Add(new CachedTracklet(identity, camera, frames, subset));
        }

        var maps = Tensor.Load(reader);
        long frameCount = maps.shape[0] / views;
        var valid = Enumerable.Repeat(true, (int)frameCount).ToArray();
        return (new FeatureCache(maps, views, [], valid, 0, []), tracklets);
    }

    /// <summary>[frames * views, C, h, w] float16 on the CPU; row = frame * views + view.</summary>
    public Tensor Maps { get; }

    public int Views { get; }

    /// <summary>Frames skipped because the file was missing or not an image.</summary>
    public int Skipped { get; }

    public IReadOnlyList<string> SkippedExamples { get; }

    /// <summary>
    /// Computes (or loads from <paramref name="file"/> when it was made for the same frames, trunk and views)
    /// the feature maps of every frame of <paramref name="set"/>.
    /// </summary>
    public static FeatureCache Build(
        TrackletSet set, ITrunkFeatures trunk, int views, int seed, string? file,
        IProgress<(int Done, int Total)>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(trunk);
        ArgumentOutOfRangeException.ThrowIfLessThan(views, 1);
        var paths = set.Tracklets.SelectMany(t => t.Frames).Distinct(StringComparer.Ordinal).ToArray();
        string key = Key(paths, trunk.Id, views, seed);
        if (file is not null && File.Exists(file))
        {
            var loaded = TryLoad(file, key, paths);
            if (loaded is not null)
            {
                return loaded;
            }
        }

        var reader = new FrameReader();
        var augmentation = new Augmentation();
        var maps = empty([paths.Length * views, trunk.Channels, trunk.Height, trunk.Width], ScalarType.Float16);
        var valid = new bool[paths.Length];
        const int Batch = 32;
        using (no_grad())
        {
            for (int start = 0; start < paths.Length; start += Batch)
            {
                cancellationToken.ThrowIfCancellationRequested();
                int end = Math.Min(paths.Length, start + Batch);
                var crops = new List<BgrImage>();
                var rows = new List<long>();
                for (int f = start; f < end; f++)
                {
                    // one generator per frame: the cache does not depend on the batch size
                    var random = new Random(unchecked((seed * 1_000_003) + f));
                    for (int v = 0; v < views; v++)
                    {
                        var crop = reader.Read(paths[f], v == 0 ? null : augmentation, random);
                        if (crop is null)
                        {
                            break;
                        }

                        crops.Add(crop.Value);
                        rows.Add(((long)f * views) + v);
                        valid[f] = true;
                    }
                }

                if (crops.Count > 0)
                {
                    using var scope = NewDisposeScope();
                    var features = trunk.Extract(crops).to(ScalarType.Float16).cpu();
                    maps.index_copy_(0, tensor(rows.ToArray()), features);
                }

                progress?.Report((end, paths.Length));
            }
        }

        var cache = new FeatureCache(maps, views, paths, valid, reader.Skipped, reader.SkippedExamples);
        if (file is not null)
        {
            Save(file, key, maps, valid, reader.Skipped, reader.SkippedExamples);
        }

        return cache;
    }

    /// <summary>
    /// A batch [B, N, C, h, w] float32: N frames per tracklet by restricted random sampling (training, random
    /// view) or the first frame of each chunk (test, plain view).
    /// </summary>
    public Tensor Batch(IReadOnlyList<CachedTracklet> tracklets, int frames, Random? random, Device device)
    {
        ArgumentNullException.ThrowIfNull(tracklets);
        var rows = new long[tracklets.Count * frames];
        for (int b = 0; b < tracklets.Count; b++)
        {
            var t = tracklets[b];
            var picks = random is null
                ? RestrictedSampling.Test(t.Frames.Length, frames)
                : RestrictedSampling.Train(t.Frames.Length, frames, random);
            for (int n = 0; n < frames; n++)
            {
                int view = random is null || Views == 1 ? 0 : random.Next(Views);
                rows[(b * frames) + n] = ((long)t.Frames[picks[n]] * Views) + view;
            }
        }

        using var scope = NewDisposeScope();
        using var index = tensor(rows);
        var picked = Maps.index_select(0, index).to(device).to(ScalarType.Float32);
        if (random is not null)
        {
            Augment(picked, random);
        }

        return picked.reshape(tracklets.Count, frames, Maps.shape[1], Maps.shape[2], Maps.shape[3]).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Augmentation on cached maps, which needs no trunk pass: a horizontal flip of the map (a mirrored crop gives
    /// nearly the mirrored map) and erasing a random block of cells (random erasing at the map's resolution).
    /// </summary>
    private static void Augment(Tensor maps, Random random)
    {
        long h = maps.shape[2], w = maps.shape[3];
        using var noGrad = no_grad();
        for (long i = 0; i < maps.shape[0]; i++)
        {
            using var frame = maps[i];
            if (random.NextDouble() < 0.5)
            {
                using var flipped = frame.flip(-1);
                frame.copy_(flipped);
            }

            if (random.NextDouble() < 0.3)
            {
                long eh = 1 + random.NextInt64(Math.Max(1, h / 3)), ew = 1 + random.NextInt64(Math.Max(1, w / 2));
                long y = random.NextInt64(h - eh + 1), x = random.NextInt64(w - ew + 1);
                using var block = frame[.., TensorIndex.Slice(y, y + eh), TensorIndex.Slice(x, x + ew)];
                block.zero_();
            }
        }
    }

    public void Dispose() => Maps.Dispose();

    /// <summary>The tracklet's readable frames as cache rows; null when none of its frames could be read.</summary>
    public CachedTracklet? Resolve(Tracklet tracklet)
    {
        ArgumentNullException.ThrowIfNull(tracklet);
        var frames = tracklet.Frames.Select(p => _rows.TryGetValue(p, out int row)
                ? row
                : throw new ArgumentException($"Frame '{p}' is not in this feature cache.", nameof(tracklet)))
            .Where(row => _valid[row]).ToArray();
        return frames.Length == 0 ? null : new CachedTracklet(tracklet.Identity, tracklet.Camera, frames, tracklet.Subset);
    }

    /// <summary>The tracklets that kept at least one readable frame.</summary>
    public IReadOnlyList<CachedTracklet> Resolve(IEnumerable<Tracklet> tracklets) =>
        tracklets.Select(Resolve).OfType<CachedTracklet>().ToList();

    private static string Key(string[] paths, string trunkId, int views, int seed)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(Encoding.UTF8.GetBytes($"{trunkId}|{views}|{seed}|{paths.Length}"));
        foreach (var p in paths)
        {
            sha.AppendData(Encoding.UTF8.GetBytes(p));
            sha.AppendData([0]);
        }

        return Convert.ToHexString(sha.GetHashAndReset());
    }

    private static void Save(string file, string key, Tensor maps, bool[] valid, int skipped, IReadOnlyList<string> examples)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(file))!);
        string temp = file + ".tmp";
        using (var stream = File.Create(temp))
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Magic);
            writer.Write(key);
            writer.Write(valid.Length);
            foreach (bool v in valid)
            {
                writer.Write(v);
            }

            writer.Write(skipped);
            writer.Write(examples.Count);
            foreach (var e in examples)
            {
                writer.Write(e);
            }

            writer.Write(maps.shape.Length);
            foreach (long d in maps.shape)
            {
                writer.Write(d);
            }

            maps.Save(writer);
        }

        File.Move(temp, file, overwrite: true);
    }

    private static FeatureCache? TryLoad(string file, string key, string[] paths)
    {
        using var stream = File.OpenRead(file);
        using var reader = new BinaryReader(stream);
        if (reader.ReadString() != Magic || reader.ReadString() != key)
        {
            return null; // made for other frames, trunk or views: compute again
        }

        var valid = new bool[reader.ReadInt32()];
        for (int i = 0; i < valid.Length; i++)
        {
            valid[i] = reader.ReadBoolean();
        }

        int skipped = reader.ReadInt32();
        var examples = Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadString()).ToList();
        var shape = Enumerable.Range(0, reader.ReadInt32()).Select(_ => reader.ReadInt64()).ToArray();
        var maps = Tensor.Load(reader);
        if (!maps.shape.SequenceEqual(shape) || maps.dtype != ScalarType.Float16)
        {
            maps.Dispose();
            return null;
        }

        int views = (int)(shape[0] / paths.Length);
        return new FeatureCache(maps, views, paths, valid, skipped, examples);
    }
}

/// <summary>The frozen trunk as the cache sees it: crops in, feature maps [M, C, h, w] out.</summary>
public interface ITrunkFeatures
{
    /// <summary>Names the trunk weights and preprocessing, so a cache made with other ones is not reused.</summary>
    string Id { get; }

    int Channels { get; }

    int Height { get; }

    int Width { get; }

    Tensor Extract(IReadOnlyList<BgrImage> crops);
}
