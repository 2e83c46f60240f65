using Microsoft.Extensions.Logging.Abstractions;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.ReidEncoder;
using ReId.Search;

namespace ReId.Host.Tests;

/// <summary>Loading a new encoder model into the running service.</summary>
public sealed class ModelReloadTests
{
    [Test]
    public async Task ReloadAsync_NewModelFile_SwapsModelAndReembedsKeptCrops()
    {
        var dir = Directory.CreateTempSubdirectory("reid-reload-").FullName;
        var modelFile = Path.Combine(dir, "encoder.model");
        await File.WriteAllTextAsync(modelFile, "v1");
        var first = new MeanColourEmbedder("v1");
        var slot = new EmbedderSlot(first);
        var repository = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions(), () => slot.ModelVersion);
        try
        {
            var crop = TestImages.Solid(10, 200, 10);
            var samples = new[] { new ReId.Tracking.TrackletSample(DateTimeOffset.UnixEpoch, new Box(0, 0, 10, 20), crop) };
            var tracklet = TestImages.Tracklet("gate", 3, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1), samples, TestImages.Encode(crop, ".jpg"));
            await repository.AddAsync(new NewSighting(tracklet, MeanColourEmbedder.Embed([crop]), "v1"));
            // The factory reads the model file, as a real encoder would: its content is the version here.
            ITrackletEmbedder Load(ReidEncoderOptions s, Microsoft.Extensions.Logging.ILoggerFactory _) =>
                new MeanColourEmbedder(File.ReadAllText(s.ModelPath!).Trim());
            using var watcher = new ModelWatcher(new ReidEncoderOptions { ModelPath = modelFile }, NullLoggerFactory.Instance, Load, slot, repository, CancellationToken.None);
            await File.WriteAllTextAsync(modelFile, "v2");

            var loaded = await watcher.ReloadAsync();
            await watcher.Reembedding.WaitAsync(TimeSpan.FromSeconds(30));

            Assert.That(loaded, Is.True);
            Assert.That(slot.ModelVersion, Is.EqualTo("v2"));
            Assert.That(first.Disposed, Is.True, "the old model was released");
            var listed = await repository.ListAsync(new Pipeline.SightingQuery(null, null, null, 10));
            Assert.That(listed.Select(s => s.ModelVersion), Is.EquivalentTo(new[] { "v1", "v2" }), "the kept crops were embedded again by v2");
            Assert.That(listed.All(s => s.Camera == "gate" && s.Track == 3), Is.True);
            Assert.That(await repository.StaleAsync("v2").ToListAsync(), Is.Empty, "nothing is left to re-embed");
            Assert.That(await repository.StaleAsync("v3").CountAsync(), Is.EqualTo(2), "a third model would re-embed the sighting of v1 and that of v2");
        }
        finally
        {
            await repository.DisposeAsync();
            await slot.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    [NonParallelizable]
    public async Task Watcher_DefaultModelSetting_PicksUpAReplacedShippedFile()
    {
        var dir = Directory.CreateTempSubdirectory("reid-reload-default-").FullName;
        var shipped = Path.Combine(dir, DefaultEncoderModel.FileName);
        await File.WriteAllTextAsync(shipped, "v1");
        var before = Environment.GetEnvironmentVariable(DefaultEncoderModel.EnvironmentVariable);
        Environment.SetEnvironmentVariable(DefaultEncoderModel.EnvironmentVariable, shipped);
        var slot = new EmbedderSlot(new MeanColourEmbedder("v1"));
        var repository = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions(), () => slot.ModelVersion);
        try
        {
            // As the real encoder does: "default" resolves to the shipped file.
            ITrackletEmbedder Load(ReidEncoderOptions s, Microsoft.Extensions.Logging.ILoggerFactory _) =>
                new MeanColourEmbedder(File.ReadAllText(DefaultEncoderModel.Resolve(s.ModelPath).Path!).Trim());
            var section = new ReidEncoderOptions { ModelPath = "default" };
            Assert.That(ModelWatcher.WatchedFile(section), Is.EqualTo(shipped));
            Assert.That(ModelWatcher.WatchedFile(new ReidEncoderOptions { ModelPath = "untrained" }), Is.Null);
            using var watcher = new ModelWatcher(section, NullLoggerFactory.Instance, Load, slot, repository, CancellationToken.None);

            await File.WriteAllTextAsync(shipped, "v2");
            var waited = System.Diagnostics.Stopwatch.StartNew();
            while (slot.ModelVersion != "v2" && waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(50);
            }

            Assert.That(slot.ModelVersion, Is.EqualTo("v2"), "the replaced shipped file was loaded without a restart");
        }
        finally
        {
            Environment.SetEnvironmentVariable(DefaultEncoderModel.EnvironmentVariable, before);
            await repository.DisposeAsync();
            await slot.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task ReloadAsync_BrokenModelFile_KeepsTheRunningModel()
    {
        var dir = Directory.CreateTempSubdirectory("reid-reload-").FullName;
        var modelFile = Path.Combine(dir, "encoder.model");
        await File.WriteAllTextAsync(modelFile, "v1");
        var slot = new EmbedderSlot(new MeanColourEmbedder("v1"));
        var repository = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions(), () => slot.ModelVersion);
        try
        {
            ITrackletEmbedder Load(ReidEncoderOptions s, Microsoft.Extensions.Logging.ILoggerFactory _) =>
                throw new InvalidDataException("not a model file");
            using var watcher = new ModelWatcher(new ReidEncoderOptions { ModelPath = modelFile }, NullLoggerFactory.Instance, Load, slot, repository, CancellationToken.None);

            var loaded = await watcher.ReloadAsync();

            Assert.That(loaded, Is.False);
            Assert.That(slot.ModelVersion, Is.EqualTo("v1"));
        }
        finally
        {
            await repository.DisposeAsync();
            await slot.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task ReloadAsync_ModelWithOtherEmbeddingSize_IsRefusedAndDisposed()
    {
        var dir = Directory.CreateTempSubdirectory("reid-reload-").FullName;
        var modelFile = Path.Combine(dir, "encoder.model");
        await File.WriteAllTextAsync(modelFile, "v1");
        var slot = new EmbedderSlot(new MeanColourEmbedder("v1"));
        var repository = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions(), () => slot.ModelVersion);
        var wide = new MeanColourEmbedder("v2-256") { Dimension = 256 };
        try
        {
            ITrackletEmbedder Load(ReidEncoderOptions s, Microsoft.Extensions.Logging.ILoggerFactory _) => wide;
            using var watcher = new ModelWatcher(new ReidEncoderOptions { ModelPath = modelFile }, NullLoggerFactory.Instance, Load, slot, repository, CancellationToken.None);

            var loaded = await watcher.ReloadAsync();

            Assert.That(loaded, Is.False);
            Assert.That(slot.ModelVersion, Is.EqualTo("v1"), "the running 128-d model stays");
            Assert.That(wide.Disposed, Is.True, "the refused model was released");
        }
        finally
        {
            await repository.DisposeAsync();
            await slot.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task ListAsync_AfterRestartWithNewModel_StillListsTheOlderModelsSightings()
    {
        var dir = Directory.CreateTempSubdirectory("reid-reload-").FullName;
        try
        {
            var crop = TestImages.Solid(200, 10, 10);
            var samples = new[] { new ReId.Tracking.TrackletSample(DateTimeOffset.UnixEpoch, new Box(0, 0, 10, 20), crop) };
            await using (var before = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions(), () => "v1"))
            {
                var tracklet = TestImages.Tracklet("gate", 5, DateTimeOffset.UnixEpoch, DateTimeOffset.UnixEpoch.AddSeconds(1), samples, TestImages.Encode(crop, ".jpg"));
                await before.AddAsync(new NewSighting(tracklet, MeanColourEmbedder.Embed([crop]), "v1"));
            }

            // A restart with another model: nothing in memory remembers v1.
            await using var after = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions(), () => "v2");
            var listed = await after.ListAsync(new Pipeline.SightingQuery(null, null, null, 10));

            Assert.That(listed.Select(s => (s.ModelVersion, s.Track)), Is.EqualTo(new[] { ("v1", 5L) }));
            Assert.That(await after.StaleAsync("v2").CountAsync(), Is.EqualTo(1), "and it is found for re-embedding by its crops");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public void EmbeddingFitsStore_OtherSize_NamesBothSizes()
    {
        Assert.DoesNotThrow(() => StageChecks.EmbeddingFitsStore(new MeanColourEmbedder(), Embedding.Dimension));
        var e = Assert.Throws<InvalidOperationException>(() => StageChecks.EmbeddingFitsStore(new MeanColourEmbedder("wide") { Dimension = 256 }, Embedding.Dimension));
        Assert.That(e!.Message, Does.Contain("gives 256-d embeddings").And.Contain("keeps 128-d ones").And.Contain("Encoder:ModelPath"));
    }
}
