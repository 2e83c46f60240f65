using Microsoft.Extensions.Logging.Abstractions;
using ReId.Host.Configuration;
using ReId.Host.Http;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Search;

namespace ReId.Host.Tests;

/// <summary>The web page in a real headless chromium against the service on loopback.</summary>
[NonParallelizable]
public sealed class PageTests
{
    private const string Key = "page-key-0123456789abcdef";
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Page_InChromium_ShowsThumbnailsAndTheWhereElseTimelineOnClick()
    {
        var chromium = HeadlessChromium.Find() ?? throw new IgnoreException("chromium is not installed (apt-get install chromium; setup.sh does)");
        var dir = Directory.CreateTempSubdirectory("reid-page-").FullName;
        var embedder = new EmbedderSlot(new MeanColourEmbedder());
        var repository = new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions { KeepCrops = false }, () => embedder.ModelVersion);
        try
        {
            var red = await AddAsync(repository, "gate", 1, T0, TestImages.Solid(30, 30, 210));
            await AddAsync(repository, "hall", 4, T0.AddSeconds(25), TestImages.Solid(35, 28, 200));
            await AddAsync(repository, "hall", 5, T0.AddSeconds(40), TestImages.Solid(210, 120, 30));
            await AddAsync(repository, "gate", 2, T0.AddSeconds(50), TestImages.Solid(40, 200, 40));
            var context = new ServiceContext(() => [new CameraStatus("gate", "rtsp://***@10.0.0.9/live", CameraState.Streaming, 250, 250, 3, 0, null, null, 25, null, null, null, TimeSpan.Zero)],
                new PipelineMetrics(), repository, embedder, new WhereElseDefaults(), new HttpOptions { Port = 0, ApiKey = Key });
            await using var server = await WebServer.StartAsync(context, NullLoggerFactory.Instance);
            await using var browser = await HeadlessChromium.StartAsync(chromium);

            // The key is given as a user gives it: typed into the page's key box, never in the address.
            await browser.NavigateAsync(new Uri(server.Address, "/"));
            var askedForKey = await browser.WaitForAsync("document.getElementById('keybox')?.style.display === 'block'", TimeSpan.FromSeconds(20));
            await browser.EvaluateAsync($"document.getElementById('keyinput').value = '{Key}', document.getElementById('keysave').click(), true");

            var loaded = await browser.WaitForAsync("document.body?.dataset.loaded === 'true'", TimeSpan.FromSeconds(20));
            var thumbnailsShown = await browser.WaitForAsync(
                "(() => { const i = [...document.querySelectorAll('#sightings img.thumb')]; return i.length === 4 && i.every(x => x.complete && x.naturalWidth === 128); })()",
                TimeSpan.FromSeconds(20));
            var imageSources = (string?)await browser.EvaluateAsync("[...document.querySelectorAll('img')].map(i => i.src).join(' ')");
            var address = (string?)await browser.EvaluateAsync("location.href");
            var cameraRow = (string?)await browser.EvaluateAsync("document.querySelector('#cameras tbody tr')?.innerText ?? ''");
            await browser.EvaluateAsync($"document.querySelector('.card[data-id=\"{red}\"]').click(), true");
            var timelineShown = await browser.WaitForAsync("document.querySelectorAll('#where-else .hit').length > 0", TimeSpan.FromSeconds(20));
            var firstHit = (string?)await browser.EvaluateAsync("document.querySelector('#where-else .hit')?.innerText ?? ''");
            var hitCameras = (string?)await browser.EvaluateAsync("[...document.querySelectorAll('#where-else .hit')].map(h => h.dataset.camera).join(',')");

            var screenshot = Path.Combine(TestContext.CurrentContext.WorkDirectory, "page-where-else.png");
            await File.WriteAllBytesAsync(screenshot, await browser.ScreenshotAsync());
            TestContext.AddTestAttachment(screenshot, "the page after a click on a sighting");
            TestContext.Out.WriteLine($"screenshot: {screenshot}");

            Assert.That(askedForKey, Is.True, "without a key the page asks for one");
            Assert.That(loaded, Is.True, "the page loaded its data");
            Assert.That(imageSources!.Split(' '), Is.All.StartsWith("blob:"), "thumbnails are fetched with the header, not by a URL holding the key");
            Assert.That(imageSources + address, Does.Not.Contain(Key), "the key is in no address");
            Assert.That(thumbnailsShown, Is.True, "four thumbnails were decoded by the browser");
            Assert.That(cameraRow, Does.Contain("gate").And.Contain("streaming"));
            Assert.That(timelineShown, Is.True, "a click showed the where-else timeline");
            Assert.That(hitCameras!.Split(','), Is.All.EqualTo("hall"), "where-else shows other cameras only");
            Assert.That(firstHit, Does.Contain("hall #4").And.Contain("2026-05-01 12:00:25"), "the earliest match comes first with its time");
            Assert.That(firstHit, Does.Match(@"0\.9\d\d"), "the match shows its score");
        }
        finally
        {
            await repository.DisposeAsync();
            await embedder.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    private static Task<string> AddAsync(SearchRepository repository, string camera, long track, DateTimeOffset start, BgrImage crop)
    {
        var samples = Enumerable.Range(0, 3).Select(i => new ReId.Tracking.TrackletSample(start.AddSeconds(i), new Box(100, 50, 60, 120), crop)).ToList();
        var tracklet = TestImages.Tracklet(camera, track, start, start.AddSeconds(2), samples, TestImages.Encode(crop, ".jpg"));
        return repository.AddAsync(new NewSighting(tracklet, MeanColourEmbedder.Embed([crop]), "colour-1"));
    }
}
