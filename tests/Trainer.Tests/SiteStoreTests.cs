using OpenCvSharp;
using ReId.ReidEncoder;
using ReId.Search;
using ReId.Trainer.Commands;
using ReId.Trainer.Data;

namespace ReId.Trainer.Tests;

/// <summary>
/// Retraining from what the service stored: an embedded sighting store filled with real CUHK03 crops (resized to
/// the tracker's 128x256), kept crops and user link decisions, read back as pseudo-labelled tracklets.
/// </summary>
[NonParallelizable]
public class SiteStoreTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 4, 9, 0, 0, TimeSpan.Zero);
    private TinyData _data = null!;
    private string _store = "";
    private Dictionary<string, Guid> _ids = null!;

    [SetUp]
    public async Task SetUp()
    {
        string cuhk03 = SharedData.Cuhk03Train;
        _data = new TinyData();
        _store = _data.Path("store");
        _ids = await FillStoreAsync(cuhk03, _store);
    }

    [TearDown]
    public void TearDown()
    {
        // SetUp ignored the test before making anything (no CUHK03 crops): nothing to remove
        if (_data is null)
        {
            return;
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        string export = SiteStoreReader.ExportFolder(Path.GetFullPath(_store));
        if (Directory.Exists(export))
        {
            Directory.Delete(export, recursive: true);
        }

        _data.Dispose();
        _data = null!;
    }

    [Test]
    public void Read_StoredSightingsAndFeedback_PseudoIdentitiesFollowTheRules()
    {
        string export = _data.Path("export");
        IReadOnlyList<SiteTracklet> tracklets;
        IReadOnlyList<PairFeedback> feedback;
        int withoutCrops, duplicates, dropped;
        using (var source = new StoreSiteSource(_store, export))
        {
            tracklets = source.ReadTracklets();
            feedback = source.ReadFeedback();
            (withoutCrops, duplicates, dropped) = (source.WithoutCrops, source.Duplicates, source.FeedbackDropped);
        }

        var (set, report) = PseudoLabeler.Label(_store, tracklets, feedback);

        // 6 people x 2 cameras + one crowd tracklet; the crop-less yard sighting and the re-embedded copy left out
        Assert.That(tracklets, Has.Count.EqualTo(13));
        Assert.That((withoutCrops, duplicates, dropped), Is.EqualTo((1, 1, 1)));
        Assert.That(report, Is.EqualTo(new PseudoLabelReport(13, 7, 6, 2)));
        string IdentityOf(string name) => set.Tracklets[tracklets.ToList().FindIndex(t => t.Id == _ids[name].ToString())].Identity;
        for (int p = 0; p < 6; p++)
        {
            // confirmed cross-camera pairs merged (p 4: rejected first, confirmed later; p 5: confirmed on the re-embedded copy)
            Assert.That(IdentityOf($"door{p}"), Is.EqualTo(IdentityOf($"hall{p}")), $"person {p}");
        }

        // same camera, overlapping in time: a confirmation cannot merge them
        Assert.That(IdentityOf("crowd"), Is.Not.EqualTo(IdentityOf("door0")));
        // a merge that would join a rejected pair is refused
        Assert.That(IdentityOf("hall1"), Is.Not.EqualTo(IdentityOf("door3")));
        Assert.That(set.CameraCount, Is.EqualTo(2));
        var first = tracklets.Single(t => t.Id == _ids["door0"].ToString());
        Assert.That(first.Camera, Is.EqualTo("door"));
        Assert.That(first.FirstSeen, Is.EqualTo(T0));
        Assert.That(first.Frames, Has.Count.EqualTo(3));
        using var crop = Cv2.ImRead(first.Frames[0], ImreadModes.Color);
        Assert.That((crop.Width, crop.Height), Is.EqualTo((KeptCrop.Width, KeptCrop.Height)));
    }

    [Test]
    public async Task Read_CropsPurgedFromTheStore_LeaveTheExportToo()
    {
        string export = _data.Path("export");
        using (var source = new StoreSiteSource(_store, export))
        {
            source.ReadTracklets();
        }

        await using (var store = EmbeddedSightingStore.Open(_store))
        {
            await store.PurgeAsync(DateTimeOffset.MinValue, T0.AddYears(1));
        }

        using var again = new StoreSiteSource(_store, export);
        var e = Assert.Throws<DatasetException>(() => again.ReadTracklets());

        Assert.That(e!.Message, Does.Contain("none with kept crops"));
        Assert.That(Directory.EnumerateDirectories(export), Is.Empty);
    }

    [Test]
    public void SiteStoreLayout_FolderWithoutStore_SaysWhatWasExpected()
    {
        var e = Assert.Throws<DatasetException>(() => DatasetLayouts.Read("site-store", _data.Root));

        Assert.That(e!.Message, Does.Contain("sightings.db"));
    }

    [Test]
    public void Train_SiteStoreLayout_RunsAFewStepsAndWritesAModel()
    {
        if (!ImageNetResNet18.IsAvailable())
        {
            Assert.Ignore("The ImageNet ResNet-18 weights (NuGet Microsoft.ML.DnnImageFeaturizer.ResNet18) are not restored.");
        }

        string model = _data.Path("site.reid");
        var savedOut = Console.Out;
        var savedError = Console.Error;
        using var output = new StringWriter();
        using var error = new StringWriter();
        Console.SetOut(output);
        Console.SetError(error);
        int code;
        try
        {
            code = Cli.Create().Parse(["train", "--data", _store, "--layout", "site-store", "--validation-last", "3", "--epochs", "2",
                "--batch", "4", "--frames", "2", "--eval-frames", "2", "--cache", "none", "--device", "cpu", "--output", model]).Invoke();
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }

        Assert.That(code, Is.Zero, error.ToString() + output);
        Assert.That(output.ToString(), Does.Contain("epoch 2/2"));
        using var loaded = ReidModelFile.Load(model);
        Assert.That(loaded.ModelVersion, Does.Contain("site-store"));
        Assert.That(loaded.Description.Training.Data, Does.Contain("site-store"));
    }

    /// <summary>
    /// Six people, each seen at the door then in the hall; a crowd tracklet overlapping person 0 at the door; a yard
    /// sighting without crops; person 5's hall track stored again under a newer model. Decisions: confirmations for
    /// every person (person 4 rejected first), a confirmation of the overlapping crowd tracklet, a rejection between
    /// persons 1 and 3 and a confirmation that would join them, and one naming the yard sighting.
    /// </summary>
    private static async Task<Dictionary<string, Guid>> FillStoreAsync(string cuhk03, string folder)
    {
        var people = Directory.EnumerateFiles(cuhk03, "*.jpg").Select(Path.GetFileName).Select(n => n![..4]).Distinct().Order(StringComparer.Ordinal).Take(7).ToList();
        var ids = new Dictionary<string, Guid>();
        await using var store = EmbeddedSightingStore.Open(folder);
        long track = 0;

        async Task<Guid> AddAsync(string name, string camera, DateTimeOffset first, string person, int[] shots, string model = "drsa-site-test", long? trackId = null)
        {
            var embedding = new float[Sighting.Dimension];
            embedding[(int)(track % Sighting.Dimension)] = 1;
            var id = Guid.CreateVersion7(first.AddMilliseconds(ids.Count));
            var last = first.AddSeconds(30);
            await store.AddAsync([new Sighting(id, camera, trackId ?? ++track, first, last, model, embedding, [new SightingSample(first, new Box(10, 20, 40, 100))], null)]);
            if (shots.Length > 0)
            {
                var crops = shots.Select((k, i) => new KeptCrop(first.AddSeconds(i), Crop(Path.Combine(cuhk03, $"{person}_{k:D2}.jpg")))).ToList();
                await store.KeepCropsAsync(id, crops, last);
            }

            ids[name] = id;
            return id;
        }

        for (int p = 0; p < 6; p++)
        {
            await AddAsync($"door{p}", "door", T0.AddMinutes(p * 10), people[p], [0, 1, 2]);
            await AddAsync($"hall{p}", "hall", T0.AddMinutes((p * 10) + 2), people[p], [5, 6, 7]);
        }

        await AddAsync("crowd", "door", T0.AddSeconds(10), people[6], [0, 1]);
        await AddAsync("yard", "yard", T0.AddMinutes(90), people[6], []);
        var hall5 = (await store.GetAsync(ids["hall5"]))!;
        await AddAsync("hall5-v2", "hall", hall5.FirstSeen, people[5], [5, 6, 7], model: "drsa-site-test-v2", trackId: hall5.Track);

        async Task Decide(string a, string b, LinkDecision decision) =>
            await store.AddFeedbackAsync(new LinkFeedback(ids[a], ids[b], decision, T0.AddHours(2), "drsa-site-test"));

        for (int p = 0; p < 5; p++)
        {
            if (p == 4)
            {
                await Decide("door4", "hall4", LinkDecision.Rejected);
            }

            await Decide($"door{p}", $"hall{p}", LinkDecision.Confirmed);
        }

        await Decide("door5", "hall5-v2", LinkDecision.Confirmed);
        await Decide("door0", "crowd", LinkDecision.Confirmed);
        await Decide("door1", "hall3", LinkDecision.Rejected);
        await Decide("hall1", "door3", LinkDecision.Confirmed);
        await Decide("door2", "yard", LinkDecision.Confirmed);
        return ids;
    }

    private static byte[] Crop(string path)
    {
        using var image = Cv2.ImRead(path, ImreadModes.Color);
        if (image.Empty())
        {
            throw new FileNotFoundException($"CUHK03 crop {path} is missing or unreadable.");
        }

        using var resized = image.Resize(new Size(KeptCrop.Width, KeptCrop.Height));
        return FrameReader.ToCrop(resized).Bgr.ToArray();
    }
}
