using System.Globalization;
using System.Text.RegularExpressions;

namespace ReId.Trainer.Data;

/// <summary>Reads one standard re-id dataset layout from its folder into tracklets.</summary>
public interface IDatasetReader
{
    /// <summary>The layout name used on the command line.</summary>
    string Name { get; }

    /// <summary>What the folder must look like, quoted in the error when it does not.</summary>
    string ExpectedLayout { get; }

    TrackletSet Read(string root);
}

/// <summary>The registry of dataset layouts, by name.</summary>
public static class DatasetLayouts
{
    private static readonly IDatasetReader[] Readers =
    [
        new Cuhk03Reader(),
        new Market1501Reader(),
        new MarsReader(),
        new Prid2011Reader(),
        new ILidsVidReader(),
        new DukeVideoReader(),
        new SiteReader(),
        new SiteStoreReader(),
    ];

    public static IReadOnlyList<string> Names { get; } = Readers.Select(r => r.Name).ToArray();

    /// <summary>The reader for <paramref name="name"/>; a wrong name gets the list of valid ones.</summary>
    public static IDatasetReader Get(string name) =>
        Readers.FirstOrDefault(r => string.Equals(r.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new DatasetException(
            $"Unknown dataset layout '{name}'. Valid layouts: {string.Join(", ", Names)}.");

    public static TrackletSet Read(string name, string root) => Get(name).Read(root);
}

/// <summary>Shared folder walking and the "this is not the layout" error.</summary>
internal abstract partial class LayoutReader : IDatasetReader
{
    private static readonly string[] ImageExtensions = [".jpg", ".jpeg", ".png", ".bmp"];

    public abstract string Name { get; }

    public abstract string ExpectedLayout { get; }

    public TrackletSet Read(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        if (!Directory.Exists(root))
        {
            throw new DatasetException($"The {Name} folder '{root}' does not exist. Expected {ExpectedLayout}.");
        }

        var tracklets = ReadTracklets(Path.GetFullPath(root));
        if (tracklets.Count == 0)
        {
            throw new DatasetException(
                $"'{root}' does not look like a {Name} folder: no images were found where expected. " +
                $"Expected {ExpectedLayout}.");
        }

        return new TrackletSet(Name, root, tracklets);
    }

    protected abstract IReadOnlyList<Tracklet> ReadTracklets(string root);

    protected static IEnumerable<string> Images(string folder) =>
        Directory.Exists(folder)
            ? Directory.EnumerateFiles(folder)
                .Where(f => ImageExtensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
                .Order(StringComparer.Ordinal)
            : [];

    protected static IEnumerable<string> SubFolders(string folder) =>
        Directory.Exists(folder) ? Directory.EnumerateDirectories(folder).Order(StringComparer.Ordinal) : [];

    /// <summary>The first of <paramref name="names"/> that exists under root, or root itself.</summary>
    protected static string Resolve(string root, params string[] names) =>
        names.Select(n => Path.Combine(root, n)).FirstOrDefault(Directory.Exists) ?? root;

    /// <summary>Groups frames by key and orders each group's frames by its frame number.</summary>
    protected static List<Tracklet> Group(
        IEnumerable<(string Identity, int Camera, string Key, int Order, string Path, string Subset)> frames) =>
        frames.GroupBy(f => (f.Subset, f.Identity, f.Camera, f.Key))
            .OrderBy(g => g.Key.Subset, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Identity, StringComparer.Ordinal)
            .ThenBy(g => g.Key.Camera)
            .ThenBy(g => g.Key.Key, StringComparer.Ordinal)
            .Select(g => new Tracklet(
                g.Key.Identity,
                g.Key.Camera,
                g.OrderBy(f => f.Order).ThenBy(f => f.Path, StringComparer.Ordinal).Select(f => f.Path).ToArray(),
                g.Key.Subset))
            .ToList();

    protected static int Int(string digits) => int.Parse(digits, NumberStyles.Integer, CultureInfo.InvariantCulture);
}

/// <summary>CUHK03 crops <c>PPPP_KK.jpg</c>: images 00-04 from one camera of the pair, 05-09 from the other.</summary>
internal sealed partial class Cuhk03Reader : LayoutReader
{
    public override string Name => "cuhk03";

    public override string ExpectedLayout =>
        "a folder (or its train/ subfolder) of PPPP_KK.jpg crops: person PPPP, image KK, 00-04 camera A, 05-09 camera B";

    protected override IReadOnlyList<Tracklet> ReadTracklets(string root) =>
        Group(Images(Resolve(root, "train"))
            .Select(p => (Path: p, Match: FileName().Match(Path.GetFileName(p))))
            .Where(x => x.Match.Success)
            .Select(x =>
            {
                int k = Int(x.Match.Groups[2].Value);
                return (x.Match.Groups[1].Value, k < 5 ? 1 : 2, "", k, x.Path, "");
            }));

    [GeneratedRegex(@"^(\d+)_(\d{2})\.(jpg|jpeg|png)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();
}

/// <summary>
/// Market-1501: <c>bounding_box_train</c>, <c>bounding_box_test</c>, <c>query</c> of
/// <c>PPPP_cCsS_FFFFFF_NN.jpg</c>. Frames of one person, camera and sequence form one tracklet;
/// junk (-1) and distractor (0000) images are left out.
/// </summary>
internal sealed partial class Market1501Reader : LayoutReader
{
    private static readonly string[] Subsets = ["bounding_box_train", "bounding_box_test", "query"];

    public override string Name => "market1501";

    public override string ExpectedLayout =>
        "bounding_box_train/, bounding_box_test/ and query/ (or one such folder) of PPPP_cCsS_FFFFFF_NN.jpg images";

    protected override IReadOnlyList<Tracklet> ReadTracklets(string root)
    {
        var folders = Subsets.Select(s => (Subset: s, Folder: Path.Combine(root, s)))
            .Where(s => Directory.Exists(s.Folder)).ToList();
        if (folders.Count == 0)
        {
            folders.Add((Path.GetFileName(root), root));
        }

        return Group(folders.SelectMany(s => Images(s.Folder)
            .Select(p => (Path: p, Match: FileName().Match(Path.GetFileName(p))))
            .Where(x => x.Match.Success && x.Match.Groups[1].Value is not ("-1" or "0000"))
            .Select(x => (x.Match.Groups[1].Value, Int(x.Match.Groups[2].Value), x.Match.Groups[3].Value,
                Int(x.Match.Groups[4].Value) * 100 + Int(x.Match.Groups[5].Value), x.Path, s.Subset))));
    }

    [GeneratedRegex(@"^(-?\d+)_c(\d+)s(\d+)_(\d+)_(\d+)\.(jpg|jpeg|png)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();
}

/// <summary>
/// MARS: <c>bbox_train/PPPP/PPPPCcTttttFfff.jpg</c> and <c>bbox_test/...</c>; one tracklet per
/// person, camera and Tttt; junk (00-1) and distractors (0000) left out.
/// </summary>
internal sealed partial class MarsReader : LayoutReader
{
    public override string Name => "mars";

    public override string ExpectedLayout =>
        "bbox_train/ and bbox_test/ with one folder per person PPPP holding PPPPCcTttttFfff.jpg frames";

    protected override IReadOnlyList<Tracklet> ReadTracklets(string root)
    {
        var subsets = new[] { "bbox_train", "bbox_test" }.Where(s => Directory.Exists(Path.Combine(root, s))).ToList();
        return Group(subsets.SelectMany(s => SubFolders(Path.Combine(root, s))
            .Where(d => Path.GetFileName(d) is not ("00-1" or "0000"))
            .SelectMany(Images)
            .Select(p => (Path: p, Match: FileName().Match(Path.GetFileName(p))))
            .Where(x => x.Match.Success)
            .Select(x => (x.Match.Groups[1].Value, Int(x.Match.Groups[2].Value), x.Match.Groups[3].Value,
                Int(x.Match.Groups[4].Value), x.Path, s))));
    }

    [GeneratedRegex(@"^(\d{4})C(\d)T(\d{4})F(\d{3,})\.(jpg|jpeg|png)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();
}

/// <summary>PRID2011 multi-shot: <c>multi_shot/cam_a/person_0001/0001.png</c> and <c>cam_b/...</c>.</summary>
internal sealed partial class Prid2011Reader : LayoutReader
{
    public override string Name => "prid2011";

    public override string ExpectedLayout =>
        "multi_shot/ (or the folder itself) with cam_a/ and cam_b/, each with person_NNNN/ folders of numbered frames";

    protected override IReadOnlyList<Tracklet> ReadTracklets(string root)
    {
        string shots = Resolve(root, "multi_shot", Path.Combine("prid_2011", "multi_shot"));
        return Group(new[] { ("cam_a", 1), ("cam_b", 2) }.SelectMany(c => SubFolders(Path.Combine(shots, c.Item1))
            .Select(d => (Folder: d, Match: Person().Match(Path.GetFileName(d))))
            .Where(x => x.Match.Success)
            .SelectMany(x => Images(x.Folder).Select(p => (
                x.Match.Groups[1].Value, c.Item2, "", FrameNumber(p), p, "")))));
    }

    private static int FrameNumber(string path)
    {
        var m = Digits().Match(Path.GetFileNameWithoutExtension(path));
        return m.Success ? Int(m.Value) : 0;
    }

    [GeneratedRegex(@"^person_(\d+)$")]
    private static partial Regex Person();

    [GeneratedRegex(@"\d+$")]
    private static partial Regex Digits();
}

/// <summary>iLIDS-VID: <c>sequences/cam1/person001/cam1_person001_00317.png</c> and <c>cam2/...</c>.</summary>
internal sealed partial class ILidsVidReader : LayoutReader
{
    public override string Name => "ilidsvid";

    public override string ExpectedLayout =>
        "sequences/ (or the folder itself) with cam1/ and cam2/, each with personNNN/ folders of camC_personNNN_FFFFF.png frames";

    protected override IReadOnlyList<Tracklet> ReadTracklets(string root)
    {
        string sequences = Resolve(root, "sequences", Path.Combine("i-LIDS-VID", "sequences"));
        return Group(new[] { 1, 2 }.SelectMany(cam => SubFolders(Path.Combine(sequences, $"cam{cam}"))
            .SelectMany(Images)
            .Select(p => (Path: p, Match: FileName().Match(Path.GetFileName(p))))
            .Where(x => x.Match.Success && Int(x.Match.Groups[1].Value) == cam)
            .Select(x => (x.Match.Groups[2].Value, cam, "", Int(x.Match.Groups[3].Value), x.Path, ""))));
    }

    [GeneratedRegex(@"^cam(\d)_person(\d+)_(\d+)\.(png|jpg)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();
}

/// <summary>
/// DukeMTMC-VideoReID: <c>train/</c>, <c>query/</c>, <c>gallery/</c>, each <c>PPPP/TTTT/PPPP_Cc_Ffff_X....jpg</c>;
/// one tracklet per TTTT folder.
/// </summary>
internal sealed partial class DukeVideoReader : LayoutReader
{
    public override string Name => "dukevideo";

    public override string ExpectedLayout =>
        "train/, query/ and gallery/, each with PPPP/TTTT/ folders of PPPP_Cc_Ffff_*.jpg frames";

    protected override IReadOnlyList<Tracklet> ReadTracklets(string root) =>
        Group(new[] { "train", "query", "gallery" }.SelectMany(s => SubFolders(Path.Combine(root, s))
            .SelectMany(person => SubFolders(person).SelectMany(track => Images(track)
                .Select(p => (Path: p, Match: FileName().Match(Path.GetFileName(p))))
                .Where(x => x.Match.Success)
                .Select(x => (x.Match.Groups[1].Value, Int(x.Match.Groups[2].Value), Path.GetFileName(track),
                    Int(x.Match.Groups[3].Value), x.Path, s))))));

    [GeneratedRegex(@"^(\d+)_C(\d+)_F(\d+)_.*\.(jpg|jpeg|png)$", RegexOptions.IgnoreCase)]
    private static partial Regex FileName();
}

/// <summary>A site export (<see cref="FolderSiteSource"/>) with pseudo-identities from <see cref="PseudoLabeler"/>.</summary>
internal sealed class SiteReader : IDatasetReader
{
    public string Name => "site";

    public string ExpectedLayout => FolderSiteSource.ExpectedLayout;

    public TrackletSet Read(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DatasetException($"The site folder '{root}' does not exist. Expected {ExpectedLayout}.");
        }

        var source = new FolderSiteSource(root);
        return PseudoLabeler.Label(root, source.ReadTracklets(), source.ReadFeedback()).Set;
    }
}

/// <summary>
/// The service's own embedded store (<see cref="StoreSiteSource"/>) with pseudo-identities from
/// <see cref="PseudoLabeler"/>. The crops are exported under the temporary folder, one export per store.
/// </summary>
internal sealed class SiteStoreReader : IDatasetReader
{
    public string Name => "site-store";

    public string ExpectedLayout => StoreSiteSource.ExpectedLayout;

    public TrackletSet Read(string root)
    {
        if (!Directory.Exists(root))
        {
            throw new DatasetException($"The store folder '{root}' does not exist. Expected {ExpectedLayout}.");
        }

        string full = Path.GetFullPath(root);
        using var source = new StoreSiteSource(full, ExportFolder(full));
        var tracklets = source.ReadTracklets();
        var (set, _) = PseudoLabeler.Label(full, tracklets, source.ReadFeedback());
        return set with { Layout = Name };
    }

    /// <summary>A stable folder per store, so later runs reuse the export and the feature cache built on it.</summary>
    internal static string ExportFolder(string storeFolder)
    {
        ulong hash = 14695981039346656037;
        foreach (char c in storeFolder)
        {
            hash = (hash ^ c) * 1099511628211;
        }

        return Path.Combine(Path.GetTempPath(), "reid-train-site-store", hash.ToString("x16", CultureInfo.InvariantCulture));
    }
}
