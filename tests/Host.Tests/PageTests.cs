using System.Globalization;
using System.Text.Json.Nodes;
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

    /// <summary>The browser's zone: +05:30 all year, so 12:00 UTC shows as 17:30 whatever the date.</summary>
    private const string Zone = "Asia/Kolkata";

    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    [Test]
    public async Task Page_InChromium_ShowsThumbnailsAndWhereElseOneLanePerCameraInLocalTime()
    {
        await using var page = await PageSession.StartAsync(linkingMinSimilarity: 0.7f);
        var browser = page.Browser;
        var thumbnailsShown = await browser.WaitForAsync(
            "(() => { const i = [...document.querySelectorAll('#sightings img.thumb')]; return i.length === 7 && i.every(x => x.complete && x.naturalWidth === 128); })()",
            TimeSpan.FromSeconds(20));
        var imageSources = (string?)await browser.EvaluateAsync("[...document.querySelectorAll('img')].map(i => i.src).join(' ')");
        var address = (string?)await browser.EvaluateAsync("location.href");
        var cameraRow = (string?)await browser.EvaluateAsync("document.querySelector('#cameras tbody tr')?.innerText ?? ''");
        var zone = (string?)await browser.EvaluateAsync("document.getElementById('zone').innerText");

        await page.ClickSightingAsync(page.Red);
        var lanesShown = await browser.WaitForAsync("document.querySelectorAll('#where-else .lane').length === 2", TimeSpan.FromSeconds(20));
        var lanes = (string?)await browser.EvaluateAsync("[...document.querySelectorAll('#where-else .lane')].map(l => l.dataset.camera).join(',')");
        var hallHits = await page.IdsAsync("#where-else .lane[data-camera=\"hall\"] .hit");
        var hallScores = (string?)await browser.EvaluateAsync(
            "[...document.querySelectorAll('#where-else .lane[data-camera=\"hall\"] .hit')].map(h => h.dataset.score).join(',')");
        var pinned = (string?)await browser.EvaluateAsync(
            "(() => { const q = document.getElementById('query'); return !q.hidden && (q.compareDocumentPosition(document.getElementById('where-else')) & Node.DOCUMENT_POSITION_FOLLOWING) ? q.dataset.id + ' ' + q.innerText : ''; })()");
        var strongest = (string?)await browser.EvaluateAsync("document.querySelector('#where-else .hit')?.innerText ?? ''");

        await page.ScreenshotAsync("page-where-else.png", "the where-else lanes after a click on a sighting");

        Assert.That(imageSources!.Split(' '), Is.All.StartsWith("blob:"), "thumbnails are fetched with the header, not by a URL holding the key");
        Assert.That(imageSources + address, Does.Not.Contain(Key), "the key is in no address");
        Assert.That(thumbnailsShown, Is.True, "seven thumbnails were decoded by the browser");
        Assert.That(cameraRow, Does.Contain("gate").And.Contain("streaming"));
        Assert.That(zone, Does.Match(@"times in Asia/(Kolkata|Calcutta) \(GMT\+5:30\)"), "the page names the viewer's time zone (ICU may say its old name)");
        Assert.That(lanesShown, Is.True, "a click showed one lane per camera");
        Assert.That(lanes, Is.EqualTo("hall,lobby"), "the camera with the strongest hit first; the query's own camera not at all");
        Assert.That(hallHits, Is.EqualTo(new[] { page.HallStrong, page.HallWeak }), "the strongest first within a lane, though it came later");
        Assert.That(hallScores!.Split(',').Select(x => float.Parse(x, CultureInfo.InvariantCulture)), Is.Ordered.Descending);
        Assert.That(pinned, Does.StartWith(page.Red).And.Contain("query: gate #1").And.Contain("2026-05-01 17:30:00"), "the query is pinned above the lanes");
        Assert.That(strongest, Does.Contain("hall #4").And.Contain("2026-05-01 17:30:25 GMT+5:30"), "hit times are the viewer's local time with the zone named");
        Assert.That(strongest, Does.Match(@"0\.9\d\d"), "a hit shows its score");
    }

    [Test]
    public async Task Page_InChromium_ThresholdHidesWeakHitsAndFiltersAndLiveRefreshWork()
    {
        await using var page = await PageSession.StartAsync(linkingMinSimilarity: 0.75f);
        var browser = page.Browser;
        var slider = (string?)await browser.EvaluateAsync("(() => { const s = document.getElementById('threshold'); return s.min + ' ' + s.value; })()");
        await page.ClickSightingAsync(page.Red);
        await browser.WaitForAsync("document.querySelectorAll('#where-else .hit').length === 4", TimeSpan.FromSeconds(20));
        var atDefault = await page.IdsAsync("#where-else .hit:not([hidden])");
        var summary = (string?)await browser.EvaluateAsync("document.getElementById('where-summary').innerText");

        await page.SetAsync("threshold", "0.55", "input");
        var atLow = await page.IdsAsync("#where-else .hit:not([hidden])");
        await page.SetAsync("threshold", "0.95", "input");
        var atHigh = await page.IdsAsync("#where-else .hit:not([hidden])");
        var visibleLanes = (string?)await browser.EvaluateAsync(
            "[...document.querySelectorAll('#where-else .lane:not([hidden])')].map(l => l.dataset.camera).join(',')");

        // Where-else asks the API again with the cameras and time range chosen.
        await page.SetAsync("threshold", "0.55", "input");
        await browser.EvaluateAsync("document.querySelector('#where-cameras input[value=\"lobby\"]').click(), true");
        var lobbyOnly = await browser.WaitForAsync(
            "[...document.querySelectorAll('#where-else .lane')].map(l => l.dataset.camera).join(',') === 'lobby'", TimeSpan.FromSeconds(20));
        await page.SetAsync("where-from", "2026-05-01T17:30:25", "change");
        var afterFrom = await browser.WaitForAsync("document.querySelectorAll('#where-else .hit').length === 1", TimeSpan.FromSeconds(20));
        var lobbyHits = await page.IdsAsync("#where-else .hit");

        // The recent list: a camera, then a time range in the viewer's zone (17:30:30-17:30:45 there is 12:00:30-12:00:45 UTC).
        await page.SetAsync("recent-camera", "hall", "change");
        var hallOnly = await browser.WaitForAsync(
            "(() => { const c = [...document.querySelectorAll('#sightings .card')]; return c.length === 3 && c.every(x => x.dataset.camera === 'hall'); })()",
            TimeSpan.FromSeconds(20));
        await page.SetAsync("recent-from", "2026-05-01T17:30:30", "change");
        await page.SetAsync("recent-to", "2026-05-01T17:30:45", "change");
        var inRange = await browser.WaitForAsync("document.querySelectorAll('#sightings .card').length === 1", TimeSpan.FromSeconds(20));
        var rangeIds = await page.IdsAsync("#sightings .card");

        // Live: a sighting stored after the page loaded appears by itself; the cards already shown are kept, not fetched again.
        foreach (var id in new[] { "recent-camera", "recent-from", "recent-to" })
        {
            await page.SetAsync(id, "", "change");
        }

        await browser.WaitForAsync("document.querySelectorAll('#sightings .card').length === 7", TimeSpan.FromSeconds(20));
        await browser.EvaluateAsync($"document.querySelector('.card[data-id=\"{page.Red}\"]').kept = true");
        var late = await AddAsync(page.Repository, "hall", 9, T0.AddSeconds(70), TestImages.Solid(32, 31, 205));
        var refreshed = await browser.WaitForAsync($"document.querySelector('.card[data-id=\"{late}\"]') !== null", TimeSpan.FromSeconds(20));
        var kept = (bool?)await browser.EvaluateAsync($"document.querySelector('.card[data-id=\"{page.Red}\"]').kept === true");

        await page.ScreenshotAsync("page-where-else-filtered.png", "where-else with the lobby filter, and the recent list after a live refresh");

        Assert.That(slider, Is.EqualTo("0.5 0.75"), "the slider starts at Search:Linking:MinSimilarity and goes down to where-else's minimum");
        Assert.That(atDefault, Is.EquivalentTo(new[] { page.HallStrong, page.LobbyStrong }), "hits under the linking score are hidden");
        Assert.That(summary, Does.Contain("2 weaker hidden"));
        Assert.That(atLow, Is.EquivalentTo(new[] { page.HallStrong, page.HallWeak, page.LobbyStrong, page.LobbyWeak }));
        Assert.That(atHigh, Is.EqualTo(new[] { page.HallStrong }));
        Assert.That(visibleLanes, Is.EqualTo("hall"), "a lane with no hit at or above the threshold is hidden");
        Assert.That(lobbyOnly, Is.True, "the camera filter asks for the chosen camera only");
        Assert.That(afterFrom, Is.True, "the from filter drops the earlier lobby sighting");
        Assert.That(lobbyHits, Is.EqualTo(new[] { page.LobbyStrong }));
        Assert.That(hallOnly, Is.True, "the recent list's camera filter");
        Assert.That(inRange, Is.True, "the recent list's time range, read in local time");
        Assert.That(rangeIds, Is.EqualTo(new[] { page.HallOther }));
        Assert.That(refreshed, Is.True, "a new sighting appeared without a reload");
        Assert.That(kept, Is.True, "cards already shown are kept across refreshes");
    }

    private static Task<string> AddAsync(SearchRepository repository, string camera, long track, DateTimeOffset start, BgrImage crop)
    {
        var samples = Enumerable.Range(0, 3).Select(i => new ReId.Tracking.TrackletSample(start.AddSeconds(i), new Box(100, 50, 60, 120), crop)).ToList();
        var tracklet = TestImages.Tracklet(camera, track, start, start.AddSeconds(2), samples, TestImages.Encode(crop, ".jpg"));
        return repository.AddAsync(new NewSighting(tracklet, MeanColourEmbedder.Embed([crop]), "colour-1"));
    }

    /// <summary>A store of seven sightings, the service over it, and chromium in <see cref="Zone"/> with the key given.
    /// Scores against the red query (mean-colour embedding): hall 0.998 and 0.66, lobby 0.93 and 0.56.</summary>
    private sealed class PageSession : IAsyncDisposable
    {
        private readonly string _dir;
        private readonly EmbedderSlot _embedder;
        private WebServer? _server;

        private PageSession(string dir, EmbedderSlot embedder, SearchRepository repository)
        {
            _dir = dir;
            _embedder = embedder;
            Repository = repository;
        }

        public SearchRepository Repository { get; }
        public HeadlessChromium Browser { get; private set; } = null!;
        public string Red { get; private set; } = "";
        public string HallStrong { get; private set; } = "";
        public string HallWeak { get; private set; } = "";
        public string HallOther { get; private set; } = "";
        public string LobbyStrong { get; private set; } = "";
        public string LobbyWeak { get; private set; } = "";

        public static async Task<PageSession> StartAsync(float linkingMinSimilarity)
        {
            var chromium = HeadlessChromium.Find() ?? throw new IgnoreException("chromium is not installed (apt-get install chromium; setup.sh does)");
            var dir = Directory.CreateTempSubdirectory("reid-page-").FullName;
            var embedder = new EmbedderSlot(new MeanColourEmbedder());
            var session = new PageSession(dir, embedder,
                new SearchRepository(EmbeddedSightingStore.Open(dir), new SearchOptions { KeepCrops = false }, () => embedder.ModelVersion));
            try
            {
                await session.FillAndStartAsync(chromium, linkingMinSimilarity);
                return session;
            }
            catch
            {
                await session.DisposeAsync();
                throw;
            }
        }

        private async Task FillAndStartAsync(string chromium, float linkingMinSimilarity)
        {
            Red = await AddAsync(Repository, "gate", 1, T0, TestImages.Solid(30, 30, 210));
            HallWeak = await AddAsync(Repository, "hall", 6, T0.AddSeconds(10), TestImages.Solid(150, 40, 200));
            LobbyWeak = await AddAsync(Repository, "lobby", 3, T0.AddSeconds(20), TestImages.Solid(60, 160, 200));
            HallStrong = await AddAsync(Repository, "hall", 4, T0.AddSeconds(25), TestImages.Solid(35, 28, 200));
            LobbyStrong = await AddAsync(Repository, "lobby", 2, T0.AddSeconds(30), TestImages.Solid(90, 30, 180));
            HallOther = await AddAsync(Repository, "hall", 5, T0.AddSeconds(40), TestImages.Solid(210, 120, 30));
            await AddAsync(Repository, "gate", 2, T0.AddSeconds(50), TestImages.Solid(40, 200, 40));
            var context = new ServiceContext(() => [new CameraStatus("gate", "rtsp://***@10.0.0.9/live", CameraState.Streaming, 250, 250, 3, 0, null, null, 25, null, null, null, TimeSpan.Zero)],
                new PipelineMetrics(), Repository, _embedder, new WhereElseDefaults { MinSimilarity = 0.5f }, new HttpOptions { Port = 0, ApiKey = Key })
            {
                LinkingMinSimilarity = linkingMinSimilarity,
            };
            _server = await WebServer.StartAsync(context, NullLoggerFactory.Instance);
            Browser = await HeadlessChromium.StartAsync(chromium);
            await Browser.EmulateTimezoneAsync(Zone);

            // The key is given as a user gives it: typed into the page's key box, never in the address.
            await Browser.NavigateAsync(new Uri(_server.Address, "/"));
            Assert.That(await Browser.WaitForAsync("document.getElementById('keybox')?.style.display === 'block'", TimeSpan.FromSeconds(20)),
                Is.True, "without a key the page asks for one");
            await Browser.EvaluateAsync($"document.getElementById('keyinput').value = '{Key}', document.getElementById('keysave').click(), true");
            Assert.That(await Browser.WaitForAsync("document.body?.dataset.loaded === 'true'", TimeSpan.FromSeconds(20)), Is.True, "the page loaded its data");
        }

        public Task ClickSightingAsync(string id) => Browser.EvaluateAsync($"document.querySelector('.card[data-id=\"{id}\"]').click(), true");

        /// <summary>Sets an input's value and fires the event the page listens to.</summary>
        public Task SetAsync(string id, string value, string eventName) => Browser.EvaluateAsync(
            $"(() => {{ const e = document.getElementById('{id}'); e.value = '{value}'; e.dispatchEvent(new Event('{eventName}')); return true; }})()");

        public async Task<string[]> IdsAsync(string selector) =>
            ((string?)await Browser.EvaluateAsync($"[...document.querySelectorAll('{selector.Replace("'", "\\'")}')].map(h => h.dataset.id).join(',')") ?? "")
            .Split(',', StringSplitOptions.RemoveEmptyEntries);

        public async Task ScreenshotAsync(string name, string description)
        {
            var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, name);
            await File.WriteAllBytesAsync(path, await Browser.ScreenshotAsync());
            TestContext.AddTestAttachment(path, description);
            TestContext.Out.WriteLine($"screenshot: {path}");
        }

        public async ValueTask DisposeAsync()
        {
            if (Browser is not null)
            {
                await Browser.DisposeAsync();
            }

            if (_server is not null)
            {
                await _server.DisposeAsync();
            }

            await Repository.DisposeAsync();
            await _embedder.DisposeAsync();
            Directory.Delete(_dir, recursive: true);
        }
    }
}
