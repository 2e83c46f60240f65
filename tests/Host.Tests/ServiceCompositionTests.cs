using Microsoft.Extensions.Logging.Abstractions;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;

namespace ReId.Host.Tests;

/// <summary>The service built in one container: each stage registers its parts, the container disposes them.</summary>
public sealed class ServiceCompositionTests
{
    private static ServiceSettings Settings(string dir)
    {
        var options = new ServiceSettings();
        options.Cameras.Add(new ReId.Ingest.CameraOptions { Id = "gate", Url = "rtsp://viewer:secret@127.0.0.1:9/live" });
        options.Detection.Detector = "hog";
        options.Search.Directory = Path.Combine(dir, "data");
        ConfigurationLoader.Validate(options);
        return options;
    }

    [Test]
    public async Task CreateAsync_Stages_AreTheRegisteredOnesAndGoWithTheService()
    {
        var dir = Directory.CreateTempSubdirectory("reid-compose-").FullName;
        try
        {
            var encoder = new MeanColourEmbedder();
            var settings = Settings(dir);
            settings.Search.Linking.MinSimilarity = 0.82f;
            var service = await ReidService.CreateAsync(settings, NullLoggerFactory.Instance, (_, _) => encoder);

            Assert.That(service.Pipeline.Cameras.Select(c => c.Id), Is.EqualTo(new[] { "gate" }));
            Assert.That(service.DetectorDescription, Does.Contain("HOG").IgnoreCase);
            Assert.That(service.Context.Cameras.Single().Url, Does.Not.Contain("secret"), "the status the API shows is the camera's, masked");
            Assert.That(service.Embedder.ModelVersion, Is.EqualTo("colour-1"));
            Assert.That(service.Context.LinkingMinSimilarity, Is.EqualTo(0.82f), "/api/info says the linker's own threshold");

            await service.DisposeAsync();

            Assert.That(encoder.Disposed, Is.True, "the container disposed the encoder with its slot");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Test]
    public async Task CreateAsync_EncoderOfAnotherEmbeddingSize_RefusesToStartAndReleasesWhatWasBuilt()
    {
        var dir = Directory.CreateTempSubdirectory("reid-compose-").FullName;
        try
        {
            var wide = new MeanColourEmbedder("wide") { Dimension = 512 };

            var e = await Assert.ThrowsAsync<InvalidOperationException>(() => ReidService.CreateAsync(Settings(dir), NullLoggerFactory.Instance, (_, _) => wide));

            Assert.That(e!.Message, Does.Contain("512-d").And.Contain("128-d"));
            Assert.That(wide.Disposed, Is.True, "the refused encoder was released");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
