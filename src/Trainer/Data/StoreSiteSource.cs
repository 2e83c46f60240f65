using System.Runtime.InteropServices;
using OpenCvSharp;
using ReId.Search;

namespace ReId.Trainer.Data;

/// <summary>
/// The tracklets the service stored in its embedded sighting store (the folder that holds sightings.db): every
/// sighting that still has kept crops becomes a tracklet with its camera and time span, and the users' link
/// decisions become pair feedback. The crops (128x256 BGR in the store) are written as lossless PNG files into an
/// export folder so the trainer reads them like any dataset; the export is pruned to what the store still holds on
/// each read, so crops the store's retention removed do not live on there.
/// </summary>
public sealed class StoreSiteSource : ISiteTrackletSource, IDisposable
{
    public const string ExpectedLayout =
        "the folder of the service's embedded sighting store (Search:Directory, holding sightings.db) with crops kept " +
        "for retraining (Search:Retention)";

    private readonly string _root;
    private readonly string _exportFolder;
    private readonly EmbeddedSightingStore _store;

    /// <summary>Sighting id -> the id its tracklet is known by (one per camera track: a track re-embedded under a
    /// newer model is stored again with the same crops and must not count as a second, different person).</summary>
    private Dictionary<Guid, Guid>? _canonical;

    public StoreSiteSource(string storeFolder, string exportFolder)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(storeFolder);
        ArgumentException.ThrowIfNullOrWhiteSpace(exportFolder);
        _root = storeFolder;
        if (!File.Exists(Path.Combine(storeFolder, "sightings.db")))
        {
            throw new DatasetException($"'{storeFolder}' holds no sightings.db. Expected {ExpectedLayout}.");
        }

        _exportFolder = exportFolder;
        _store = EmbeddedSightingStore.Open(storeFolder);
    }

    /// <summary>Sightings left out because no crops were kept for them (or their retention ran out).</summary>
    public int WithoutCrops { get; private set; }

    /// <summary>Sightings left out as a second copy of a track already read (stored again under another model).</summary>
    public int Duplicates { get; private set; }

    /// <summary>Decisions left out because a sighting they name is no longer stored with crops.</summary>
    public int FeedbackDropped { get; private set; }

    public IReadOnlyList<SiteTracklet> ReadTracklets()
    {
        var sightings = _store.ListAsync(new SightingListQuery { Limit = SightingListQuery.MaxLimit }).GetAwaiter().GetResult();
        var canonical = new Dictionary<Guid, Guid>();
        var byTrack = new Dictionary<(string Camera, long Track, DateTimeOffset First), Guid>();
        var list = new List<SiteTracklet>();
        int withoutCrops = 0, duplicates = 0;
        // oldest first, so a track keeps the id it was first stored (and confirmed) under
        foreach (var s in sightings.OrderBy(s => s.FirstSeen).ThenBy(s => s.Id))
        {
            if (byTrack.TryGetValue((s.Camera, s.Track, s.FirstSeen), out var first))
            {
                canonical[s.Id] = first;
                duplicates++;
                continue;
            }

            var crops = _store.GetCropsAsync(s.Id).GetAwaiter().GetResult();
            if (crops.Count == 0)
            {
                withoutCrops++;
                continue;
            }

            byTrack[(s.Camera, s.Track, s.FirstSeen)] = s.Id;
            canonical[s.Id] = s.Id;
            list.Add(new SiteTracklet(s.Id.ToString(), s.Camera, s.FirstSeen, s.LastSeen, Export(s.Id, crops)));
        }

        Prune(list.Select(t => t.Id).ToHashSet(StringComparer.Ordinal));
        _canonical = canonical;
        WithoutCrops = withoutCrops;
        Duplicates = duplicates;
        if (list.Count == 0)
        {
            throw new DatasetException(
                $"The store at '{_root}' holds {sightings.Count} sightings but none with kept crops. " +
                $"Expected {ExpectedLayout}: turn crop keeping on and let the service run before retraining.");
        }

        return list;
    }

    /// <summary>The latest decision per pair, between tracklets <see cref="ReadTracklets"/> returned.</summary>
    public IReadOnlyList<PairFeedback> ReadFeedback()
    {
        var canonical = _canonical ?? throw new InvalidOperationException("Read the tracklets before the feedback.");
        var latest = new Dictionary<(Guid, Guid), bool>();
        int dropped = 0;
        foreach (var f in _store.GetFeedbackAsync().GetAwaiter().GetResult())
        {
            if (!canonical.TryGetValue(f.SightingA, out var a) || !canonical.TryGetValue(f.SightingB, out var b) || a == b)
            {
                dropped++;
                continue;
            }

            latest[a.CompareTo(b) < 0 ? (a, b) : (b, a)] = f.Decision == LinkDecision.Confirmed;
        }

        FeedbackDropped = dropped;
        return latest.Select(p => new PairFeedback(p.Key.Item1.ToString(), p.Key.Item2.ToString(), p.Value)).ToList();
    }

    public void Dispose() => _store.DisposeAsync().AsTask().GetAwaiter().GetResult();

    private string[] Export(Guid id, IReadOnlyList<KeptCrop> crops)
    {
        string folder = Path.Combine(_exportFolder, id.ToString());
        Directory.CreateDirectory(folder);
        var paths = new string[crops.Count];
        for (int i = 0; i < crops.Count; i++)
        {
            paths[i] = Path.Combine(folder, $"{i:D4}.png");
            if (File.Exists(paths[i]))
            {
                continue; // kept crops never change once stored: an earlier export is still right
            }

            using var mat = new Mat(KeptCrop.Height, KeptCrop.Width, MatType.CV_8UC3);
            Marshal.Copy(crops[i].Bgr, 0, mat.Data, KeptCrop.ByteLength);
            string partial = paths[i] + ".part.png";
            if (!Cv2.ImWrite(partial, mat))
            {
                throw new IOException($"Could not write the crop '{partial}'.");
            }

            File.Move(partial, paths[i], overwrite: true);
        }

        return paths;
    }

    private void Prune(HashSet<string> keep)
    {
        if (!Directory.Exists(_exportFolder))
        {
            return;
        }

        foreach (string dir in Directory.EnumerateDirectories(_exportFolder))
        {
            if (!keep.Contains(Path.GetFileName(dir)))
            {
                Directory.Delete(dir, recursive: true);
            }
        }
    }
}
