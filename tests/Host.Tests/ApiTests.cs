using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using ReId.Host.Configuration;
using ReId.Host.Http;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Search;

namespace ReId.Host.Tests;

/// <summary>The HTTP API on a real Kestrel on loopback over a real embedded store.</summary>
[NonParallelizable]
public sealed class ApiTests
{
    internal const string Key = "test-key-0123456789abcdef";
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private string _dir = "";
    private SearchRepository _repository = null!;
    private EmbedderSlot _embedder = null!;
    private WebServer _server = null!;
    private HttpClient _client = null!;
    private readonly PipelineMetrics _metrics = new();
    private ReId.Ingest.Camera _camera = null!;
    private string _redA = "", _redB = "", _blueB = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dir = Directory.CreateTempSubdirectory("reid-api-").FullName;
        _embedder = new EmbedderSlot(new MeanColourEmbedder());
        _repository = new SearchRepository(EmbeddedSightingStore.Open(_dir), new SearchOptions { Linking = new LinkingOptions { MinSimilarity = 0.99f } }, () => _embedder.ModelVersion);
        _redA = await AddAsync("gate", 1, T0, TestImages.Solid(20, 20, 200));
        _redB = await AddAsync("hall", 7, T0.AddSeconds(30), TestImages.Solid(25, 22, 190));
        _blueB = await AddAsync("hall", 8, T0.AddSeconds(40), TestImages.Solid(200, 30, 20));
        _camera = new ReId.Ingest.Camera(new ReId.Ingest.CameraOptions { Id = "gate", Url = "rtsp://admin:s3cret@10.1.2.3:554/live" });
        var context = new ServiceContext(() => [_camera.Status], _metrics, _repository, _embedder,
            new WhereElseDefaults { MinSimilarity = 0.5f }, new HttpOptions { Port = 0, ApiKey = Key, MaxUploadBytes = 64 * 1024 })
        {
            StoreBytes = new SearchOptions { Directory = _dir }.LocalStoreBytes,
            LinkingMinSimilarity = 0.99f,
        };
        _server = await WebServer.StartAsync(context, NullLoggerFactory.Instance);
        _client = new HttpClient { BaseAddress = _server.Address };
        _client.DefaultRequestHeaders.Add(WebServer.ApiKeyHeader, Key);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        await _camera.DisposeAsync();
        await _repository.DisposeAsync();
        await _embedder.DisposeAsync();
        _metrics.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<string> AddAsync(string camera, long track, DateTimeOffset start, BgrImage crop) =>
        TestImages.AddSightingAsync(_repository, camera, track, start, crop, samples: 4, _embedder.ModelVersion);

    [Test]
    public async Task Info_SaysTheLinkingAndWhereElseMinimumScores()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/api/info", UriKind.Relative)));

        Assert.That(json.RootElement.GetProperty("linkingMinSimilarity").GetSingle(), Is.EqualTo(0.99f), "Search:Linking:MinSimilarity, the page's default threshold");
        Assert.That(json.RootElement.GetProperty("whereElseMinSimilarity").GetSingle(), Is.EqualTo(0.5f), "Search:WhereElse:MinSimilarity, the slider's lowest value");
    }

    [Test]
    public async Task Healthz_WithoutKey_IsOk()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Address };

        var response = await anonymous.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
    }

    [TestCase("/api/cameras")]
    [TestCase("/api/sightings")]
    [TestCase("/metrics")]
    public async Task Route_WithoutKey_IsRefusedWithHowToGiveIt(string path)
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Address };

        var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("X-Api-Key"));
    }

    [Test]
    public async Task Route_WrongKeyInQuery_IsRefused()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Address };

        var response = await anonymous.GetAsync(new Uri("/api/cameras?key=wrong", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
    }

    [Test]
    public async Task Thumbnail_RightKeyInQuery_IsRefusedSayingHeaderOnly()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Address };

        var response = await anonymous.GetAsync(new Uri($"/api/sightings/{_redA}/thumbnail?key={Key}", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.Unauthorized));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("X-Api-Key").And.Contain("?key="));
    }

    [Test]
    public async Task Thumbnail_KeyInHeader_IsServed()
    {
        var response = await _client.GetAsync(new Uri($"/api/sightings/{_redA}/thumbnail", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("image/jpeg"));
        var bytes = await response.Content.ReadAsByteArrayAsync();
        Assert.That(bytes[..3], Is.EqualTo(new byte[] { 0xFF, 0xD8, 0xFF }));
    }

    [Test]
    public async Task Cameras_RtspUrlWithPassword_IsMasked()
    {
        var text = await _client.GetStringAsync(new Uri("/api/cameras", UriKind.Relative));

        using var json = JsonDocument.Parse(text);
        var camera = json.RootElement[0];
        Assert.That(camera.GetProperty("id").GetString(), Is.EqualTo("gate"));
        Assert.That(camera.GetProperty("state").GetString(), Is.EqualTo("connecting"));
        Assert.That(text, Does.Not.Contain("s3cret"));
        Assert.That(camera.GetProperty("url").GetString(), Does.Contain("10.1.2.3"));
    }

    [Test]
    public async Task Sighting_Get_HasTheAgreedJsonNames()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri($"/api/sightings/{_redA}", UriKind.Relative)));
        var s = json.RootElement;

        Assert.That(s.GetProperty("id").GetString(), Is.EqualTo(_redA));
        Assert.That(s.GetProperty("camera").GetString(), Is.EqualTo("gate"));
        Assert.That(s.GetProperty("track").GetInt64(), Is.EqualTo(1));
        Assert.That(s.GetProperty("firstSeen").GetDateTimeOffset(), Is.EqualTo(T0));
        Assert.That(s.GetProperty("lastSeen").GetDateTimeOffset(), Is.EqualTo(T0.AddSeconds(3)));
        var samples = s.GetProperty("samples");
        Assert.That(samples.GetArrayLength(), Is.EqualTo(4));
        Assert.That(samples[1].GetProperty("time").GetDateTimeOffset(), Is.EqualTo(T0.AddSeconds(1)));
        Assert.That(samples[1].GetProperty("box").EnumerateArray().Select(e => e.GetSingle()), Is.EqualTo(new[] { 11f, 20f, 40f, 100f }));
        Assert.That(s.TryGetProperty("score", out _), Is.False, "a plain sighting has no score");
    }

    [Test]
    public async Task Sightings_FilteredByCamera_ListsOnlyThatCameraNewestFirst()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/api/sightings?camera=hall&limit=10", UriKind.Relative)));

        var ids = json.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()).ToList();
        Assert.That(ids, Is.EqualTo(new[] { _blueB, _redB }));
    }

    [Test]
    public async Task Sightings_TimeWindow_KeepsOverlappingOnes()
    {
        var from = Uri.EscapeDataString(T0.AddSeconds(29).ToString("O"));
        var to = Uri.EscapeDataString(T0.AddSeconds(35).ToString("O"));

        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri($"/api/sightings?from={from}&to={to}", UriKind.Relative)));

        Assert.That(json.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()), Is.EqualTo(new[] { _redB }));
    }

    [TestCase("/api/sightings?limit=0", "limit")]
    [TestCase("/api/sightings?from=yesterday", "from")]
    [TestCase("/api/sightings?camera=..%2Fetc", "camera")]
    [TestCase("/api/sightings/not-an-id", "not-an-id")]
    [TestCase("/api/sightings/..%2F..%2Fetc%2Fpasswd/thumbnail", "is not a sighting id")]
    [TestCase("/api/sightings/00000000-0000-0000-0000-000000000001/where-else?minScore=7", "minScore")]
    [TestCase("/api/sightings/00000000-0000-0000-0000-000000000001/where-else?k=-1", "k")]
    public async Task Request_BadParameter_Is400NamingIt(string path, string named)
    {
        var response = await _client.GetAsync(new Uri(path, UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain(named));
    }

    [Test]
    public async Task Sighting_Unknown_Is404()
    {
        var response = await _client.GetAsync(new Uri($"/api/sightings/{Guid.NewGuid()}", UriKind.Relative));

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task WhereElse_RedPerson_PutsTheOtherRedSightingFirstWithScore()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri($"/api/sightings/{_redA}/where-else?minScore=-1", UriKind.Relative)));
        var hits = json.RootElement.EnumerateArray().ToList();

        Assert.That(hits, Has.Count.EqualTo(2), "both sightings of the other camera, never its own");
        Assert.That(hits[0].GetProperty("id").GetString(), Is.EqualTo(_redB));
        Assert.That(hits[0].GetProperty("score").GetSingle(), Is.GreaterThan(0.95f));
        Assert.That(hits[1].GetProperty("score").GetSingle(), Is.LessThan(hits[0].GetProperty("score").GetSingle()));
        Assert.That(hits[0].GetProperty("samples").GetArrayLength(), Is.EqualTo(4));
    }

    [Test]
    public async Task WhereElse_MinScore_LeavesOutWeakMatches()
    {
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri($"/api/sightings/{_redA}/where-else?minScore=0.9", UriKind.Relative)));

        Assert.That(json.RootElement.EnumerateArray().Select(e => e.GetProperty("id").GetString()), Is.EqualTo(new[] { _redB }));
    }

    [Test]
    public async Task Search_PngOfABluePerson_FindsTheBlueSighting()
    {
        using var form = new MultipartFormDataContent();
        var png = new ByteArrayContent(TestImages.Encode(TestImages.Solid(190, 40, 30, 64, 128), ".png"));
        png.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(png, "images", "person.png");

        var response = await _client.PostAsync(new Uri("/api/search?minScore=0.9", UriKind.Relative), form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.That(json.RootElement[0].GetProperty("id").GetString(), Is.EqualTo(_blueB));
        Assert.That(json.RootElement[0].GetProperty("score").GetSingle(), Is.GreaterThan(0.9f));
    }

    [Test]
    public async Task Search_NotAnImage_Is415NamingTheFile()
    {
        using var form = new MultipartFormDataContent();
        form.Add(new ByteArrayContent("GIF89a not really"u8.ToArray()), "images", "anim.gif");

        var response = await _client.PostAsync(new Uri("/api/search", UriKind.Relative), form);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("anim.gif"));
    }

    [Test]
    public async Task Search_UploadOverTheLimit_Is413()
    {
        using var body = new ByteArrayContent(new byte[200 * 1024]);
        body.Headers.ContentType = new MediaTypeHeaderValue("image/jpeg");

        var response = await _client.PostAsync(new Uri("/api/search", UriKind.Relative), body);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task Feedback_Confirm_LinksBothIntoOneIdentity()
    {
        var response = await _client.PostAsJsonAsync(new Uri("/api/feedback", UriKind.Relative), new { a = _redA, b = _redB, decision = "confirm" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
        using var json = JsonDocument.Parse(await _client.GetStringAsync(new Uri("/api/identities", UriKind.Relative)));
        var identity = json.RootElement.EnumerateArray().Single(i => i.GetProperty("sightings").EnumerateArray().Any(s => s.GetString() == _redA));
        Assert.That(identity.GetProperty("sightings").EnumerateArray().Select(s => s.GetString()), Is.EquivalentTo(new[] { _redA, _redB }));
        Assert.That(identity.GetProperty("cameras").EnumerateArray().Select(s => s.GetString()), Is.EquivalentTo(new[] { "gate", "hall" }));
    }

    [Test]
    public async Task Feedback_BadDecision_Is400()
    {
        var response = await _client.PostAsJsonAsync(new Uri("/api/feedback", UriKind.Relative), new { a = _redA, b = _redB, decision = "maybe" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await response.Content.ReadAsStringAsync(), Does.Contain("maybe"));
    }

    [Test]
    public async Task Metrics_Scraped_PrometheusNamesOfPipelineProcessRuntimeAndHttp()
    {
        _metrics.RecordStageLatency(_metrics.Encoder, TimeSpan.FromMilliseconds(30));
        _metrics.CountEncoderBatch(12);
        (await _client.GetAsync(new Uri("/api/info", UriKind.Relative))).EnsureSuccessStatusCode();

        var response = await _client.GetAsync(new Uri("/metrics", UriKind.Relative));
        var text = await response.Content.ReadAsStringAsync();

        Assert.That(response.Content.Headers.ContentType!.MediaType, Is.EqualTo("text/plain"));
        string[] names =
        [
            // per camera
            "reid_camera_frames_total{camera=\"gate\"} 0", "reid_camera_dropped_frames_total{camera=\"gate\"} 0",
            "reid_camera_reconnects_total{camera=\"gate\"} 0", "reid_camera_state{camera=\"gate\",state=\"streaming\"} 0",
            "reid_camera_fps{camera=\"gate\"}",
            // per stage: counts, queue depth, latency in seconds as a histogram
            "reid_stage_items_in_total{stage=\"detection\"} 0", "reid_stage_queue_depth{stage=\"encoder\"} 0",
            "# TYPE reid_stage_latency_seconds histogram", "reid_stage_latency_seconds_bucket{stage=\"encoder\",le=\"0.05\"} 1",
            "reid_stage_latency_seconds_count{stage=\"encoder\"} 1",
            // encoder, store, model
            "reid_encoder_batches_total 1", "reid_encoder_crops_total 12", "reid_store_sightings 3",
            "reid_encoder_model_info{version=\"colour-1\"} 1",
            // process, GC, HTTP
            "process_cpu_seconds_total", "process_working_set_bytes", "dotnet_collection_count_total{generation=\"0\"}",
            "http_requests_received_total{code=\"200\",method=\"GET\",controller=\"\",action=\"\",endpoint=\"/api/info\"}",
            "http_request_duration_seconds_bucket",
        ];
        Assert.That(names.Where(n => !text.Contains(n, StringComparison.Ordinal)), Is.Empty, text);
        var bytes = text.Split('\n').Single(l => l.StartsWith("reid_store_bytes ", StringComparison.Ordinal));
        Assert.That(long.Parse(bytes.Split(' ')[1], System.Globalization.CultureInfo.InvariantCulture),
            Is.GreaterThan(4096), "the store's SQLite files, three sightings with thumbnails");
        var reid = text.Split('\n').Where(l => l.StartsWith("reid_", StringComparison.Ordinal)).Select(l => l.Split('{', ' ')[0]);
        Assert.That(reid, Has.All.Matches("^reid_[a-z0-9_]+$"), "Prometheus names: lower case and underscores");
    }

    [Test]
    public async Task QueryCommand_Sighting_PrintsTheMatchesWithScores()
    {
        var root = new System.CommandLine.RootCommand();
        root.Subcommands.Add(ReId.Host.Commands.QueryCommand.Create());
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        int code;
        try
        {
            code = await root.Parse(["query", "--sighting", _redA, "--url", _server.Address.ToString(), "--key", Key]).InvokeAsync();
        }
        finally
        {
            Console.SetOut(console);
        }

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.That(code, Is.Zero, output.ToString());
        Assert.That(lines[0], Does.Contain("score").And.Contain("camera"));
        Assert.That(lines[1], Does.Contain("hall").And.Contain(_redB).And.Contain("2026-05-01 12:00:30"));
    }

    [Test]
    public async Task Page_IsServedWithoutKeyAndExplainsIt()
    {
        using var anonymous = new HttpClient { BaseAddress = _server.Address };

        var html = await anonymous.GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.That(html, Does.Contain("X-Api-Key").And.Contain("where-else"));
    }
}
