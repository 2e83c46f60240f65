using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ReId.Trainer.Data;

/// <summary>A tracklet the service stored with its crops: camera, time span and crop files in time order.</summary>
public sealed record SiteTracklet(
    string Id, string Camera, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, IReadOnlyList<string> Frames);

/// <summary>A user's answer about two tracklets of different cameras: the same person or not.</summary>
public sealed record PairFeedback(string First, string Second, bool SamePerson);

/// <summary>Where a site's stored tracklets and the users' answers come from (a folder export, a store).</summary>
public interface ISiteTrackletSource
{
    IReadOnlyList<SiteTracklet> ReadTracklets();

    IReadOnlyList<PairFeedback> ReadFeedback();
}

/// <summary>How pseudo-labelling went: identities made, merges taken and merges refused as contradictory.</summary>
public sealed record PseudoLabelReport(int Tracklets, int Identities, int MergesApplied, int MergesRefused);

/// <summary>
/// Turns unlabeled site tracklets into training identities. Each tracklet starts as its own identity; confirmed
/// cross-camera pairs are merged unless that would join two tracklets known to be different people (a rejected
/// pair, or two tracklets of one camera that overlap in time: one person is not in two places at once).
/// </summary>
public static class PseudoLabeler
{
    public static (TrackletSet Set, PseudoLabelReport Report) Label(
        string root, IReadOnlyList<SiteTracklet> tracklets, IReadOnlyList<PairFeedback> feedback)
    {
        ArgumentNullException.ThrowIfNull(tracklets);
        ArgumentNullException.ThrowIfNull(feedback);
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < tracklets.Count; i++)
        {
            if (!index.TryAdd(tracklets[i].Id, i))
            {
                throw new DatasetException($"Site data at '{root}': tracklet id '{tracklets[i].Id}' appears twice.");
            }
        }

        int Find(string id) => index.TryGetValue(id, out int i)
            ? i
            : throw new DatasetException($"Site data at '{root}': feedback names tracklet '{id}', which is not stored.");

        var parent = Enumerable.Range(0, tracklets.Count).ToArray();
        int Root(int i)
        {
            while (parent[i] != i)
            {
                parent[i] = parent[parent[i]];
                i = parent[i];
            }

            return i;
        }

        // cannot-links between tracklets; checked between whole groups before each merge
        var different = new HashSet<(int, int)>();
        void Apart(int a, int b) => different.Add(a < b ? (a, b) : (b, a));
        foreach (var byCamera in Enumerable.Range(0, tracklets.Count).GroupBy(i => tracklets[i].Camera, StringComparer.Ordinal))
        {
            var sorted = byCamera.OrderBy(i => tracklets[i].FirstSeen).ToArray();
            for (int a = 0; a < sorted.Length; a++)
            {
                for (int b = a + 1; b < sorted.Length && tracklets[sorted[b]].FirstSeen <= tracklets[sorted[a]].LastSeen; b++)
                {
                    Apart(sorted[a], sorted[b]);
                }
            }
        }

        foreach (var f in feedback.Where(f => !f.SamePerson))
        {
            Apart(Find(f.First), Find(f.Second));
        }

        var members = Enumerable.Range(0, tracklets.Count).ToDictionary(i => i, i => new List<int> { i });
        int applied = 0, refused = 0;
        foreach (var f in feedback.Where(f => f.SamePerson))
        {
            int ra = Root(Find(f.First)), rb = Root(Find(f.Second));
            if (ra == rb)
            {
                continue;
            }

            bool conflict = members[ra].Any(a => members[rb].Any(b => different.Contains(a < b ? (a, b) : (b, a))));
            if (conflict)
            {
                refused++;
                continue;
            }

            parent[rb] = ra;
            members[ra].AddRange(members[rb]);
            members.Remove(rb);
            applied++;
        }

        var cameras = tracklets.Select(t => t.Camera).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
            .Select((c, i) => (c, i)).ToDictionary(x => x.c, x => x.i + 1, StringComparer.Ordinal);
        var result = tracklets.Select((t, i) => new Tracklet(
            "site-" + tracklets[Root(i)].Id, cameras[t.Camera], t.Frames, "site")).ToList();
        var set = new TrackletSet("site", root, result);
        return (set, new PseudoLabelReport(tracklets.Count, set.IdentityCount, applied, refused));
    }

    /// <summary>
    /// A labelled set seen as a site would see it: identities dropped, each tracklet its own pseudo-identity,
    /// no feedback. Used to measure retraining without labels.
    /// </summary>
    public static (TrackletSet Set, PseudoLabelReport Report) Unlabeled(TrackletSet labelled)
    {
        ArgumentNullException.ThrowIfNull(labelled);
        var start = DateTimeOffset.UnixEpoch;
        var site = labelled.Tracklets.Select((t, i) => new SiteTracklet(
            $"t{i:D6}", t.Camera.ToString(CultureInfo.InvariantCulture),
            start.AddMinutes(i * 2), start.AddMinutes(i * 2 + 1), t.Frames)).ToList();
        return Label(labelled.Root, site, []);
    }
}

/// <summary>
/// A site export on disk: <c>tracklets/&lt;id&gt;/track.json</c> ({"camera", "firstSeen", "lastSeen"}) beside the
/// crops of that tracklet (file names sort in time order), and an optional <c>feedback.json</c>
/// ([{"first", "second", "samePerson"}]).
/// </summary>
public sealed class FolderSiteSource : ISiteTrackletSource
{
    public const string ExpectedLayout =
        "tracklets/<id>/track.json ({\"camera\",\"firstSeen\",\"lastSeen\"}) with the tracklet's crops beside it, " +
        "and optionally feedback.json ([{\"first\",\"second\",\"samePerson\"}])";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);
    private readonly string _root;

    public FolderSiteSource(string root)
    {
        _root = root;
    }

    public IReadOnlyList<SiteTracklet> ReadTracklets()
    {
        string folder = Path.Combine(_root, "tracklets");
        if (!Directory.Exists(folder))
        {
            throw new DatasetException($"'{_root}' does not look like a site export: no tracklets/ folder. Expected {ExpectedLayout}.");
        }

        var list = new List<SiteTracklet>();
        foreach (string dir in Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal))
        {
            string meta = Path.Combine(dir, "track.json");
            if (!File.Exists(meta))
            {
                continue;
            }

            TrackMeta m;
            try
            {
                m = JsonSerializer.Deserialize<TrackMeta>(File.ReadAllText(meta), Json)
                    ?? throw new DatasetException($"'{meta}' is empty.");
            }
            catch (JsonException e)
            {
                throw new DatasetException($"'{meta}' is not valid track JSON: {e.Message}", e);
            }

            if (string.IsNullOrWhiteSpace(m.Camera))
            {
                throw new DatasetException($"'{meta}' has no camera.");
            }

            var frames = Directory.EnumerateFiles(dir)
                .Where(f => !f.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal).ToArray();
            if (frames.Length > 0)
            {
                list.Add(new SiteTracklet(Path.GetFileName(dir), m.Camera, m.FirstSeen, m.LastSeen, frames));
            }
        }

        if (list.Count == 0)
        {
            throw new DatasetException($"'{_root}' holds no stored tracklets with crops. Expected {ExpectedLayout}.");
        }

        return list;
    }

    public IReadOnlyList<PairFeedback> ReadFeedback()
    {
        string file = Path.Combine(_root, "feedback.json");
        if (!File.Exists(file))
        {
            return [];
        }

        try
        {
            return JsonSerializer.Deserialize<List<PairFeedback>>(File.ReadAllText(file), Json) ?? [];
        }
        catch (JsonException e)
        {
            throw new DatasetException($"'{file}' is not valid feedback JSON: {e.Message}", e);
        }
    }

    private sealed record TrackMeta(
        [property: JsonPropertyName("camera")] string Camera,
        [property: JsonPropertyName("firstSeen")] DateTimeOffset FirstSeen,
        [property: JsonPropertyName("lastSeen")] DateTimeOffset LastSeen);
}
