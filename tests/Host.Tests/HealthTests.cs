using System.Net;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using ReId.Host.Configuration;
using ReId.Host.Http;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Search;

namespace ReId.Host.Tests;

/// <summary>/healthz/live and /healthz/ready on a real Kestrel: a camera down, a store that cannot write, a stopped pipeline.</summary>
[NonParallelizable]
public sealed class HealthTests
{
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);
    private string _dir = "";
    private SearchRepository _repository = null!;
    private EmbedderSlot _embedder = null!;
    private readonly FakeTimeProvider _time = new(T0);
    private CameraStatus _gate = null!;
    private StoreWriter _writer = null!;
    private ServiceContext _context = null!;
    private WebServer _server = null!;
    private HttpClient _client = null!;

    [SetUp]
    public async Task StartAsync()
    {
        _dir = Directory.CreateTempSubdirectory("reid-health-").FullName;
        _embedder = new EmbedderSlot(new MeanColourEmbedder());
        _repository = new SearchRepository(EmbeddedSightingStore.Open(_dir), new SearchOptions(), () => _embedder.ModelVersion);
        _gate = Camera(CameraState.Streaming, downSince: null);
        var metrics = new PipelineMetrics();
        _writer = new StoreWriter(_repository, metrics.Store, TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10), NullLogger.Instance, TimeProvider.System);
        _context = new ServiceContext(() => [_gate], metrics, _repository, _embedder, new WhereElseDefaults(),
            new HttpOptions { Port = 0, ApiKey = ApiTests.Key })
        {
            Readiness = new ReadinessSources(_writer, new Dictionary<string, TimeSpan> { ["gate"] = TimeSpan.FromSeconds(10) }, _time),
            PipelineRunning = true,
        };
        _server = await WebServer.StartAsync(_context, NullLoggerFactory.Instance);
        // No key: orchestrators probe health without one.
        _client = new HttpClient { BaseAddress = _server.Address };
    }

    [TearDown]
    public async Task StopAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        await _repository.DisposeAsync();
        await _embedder.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private static CameraStatus Camera(CameraState state, DateTimeOffset? downSince, string? error = null) =>
        new("gate", "rtsp://admin:***@10.1.2.3/live", state, 0, 0, 0, 3, error, downSince, 0, null, null, null, TimeSpan.Zero)
        {
            DownSince = downSince,
        };

    private async Task<(HttpStatusCode Code, JsonElement Body)> GetAsync(string path)
    {
        using var response = await _client.GetAsync(new Uri(path, UriKind.Relative));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();
        return (response.StatusCode, body);
    }

    private static JsonElement Check(JsonElement body, string name) =>
        body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == name);

    [Test]
    public async Task Ready_AllWell_IsHealthyAndNamesEveryPart()
    {
        var (code, body) = await GetAsync(ServiceHealth.ReadyPath);

        Assert.That(code, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
        Assert.That(body.GetProperty("checks").EnumerateArray().Select(c => c.GetProperty("name").GetString()),
            Is.EquivalentTo(new[] { "cameras", "store", "encoder", "pipeline" }));
    }

    [Test]
    public async Task Ready_CameraDownLongerThanItsStallTimeout_IsDegradedNamingTheCameraAndWhy()
    {
        _gate = Camera(CameraState.Reconnecting, T0.AddSeconds(-5), "Connection refused");
        Assert.That((await GetAsync(ServiceHealth.ReadyPath)).Body.GetProperty("status").GetString(), Is.EqualTo("Healthy"),
            "down for 5 s, within its 10 s stall timeout");

        _time.Advance(TimeSpan.FromSeconds(20));
        var (code, body) = await GetAsync(ServiceHealth.ReadyPath);

        Assert.That(code, Is.EqualTo(HttpStatusCode.OK), "degraded still takes traffic");
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
        var cameras = Check(body, "cameras");
        Assert.That(cameras.GetProperty("status").GetString(), Is.EqualTo("Degraded"));
        Assert.That(cameras.GetProperty("description").GetString(),
            Does.Contain("camera gate is reconnecting for 25 s").And.Contain("stall timeout 10 s").And.Contain("Connection refused"));
    }

    [Test]
    public async Task Ready_StoreCannotWrite_IsUnhealthyWithTheReasonAndLiveStaysUp()
    {
        // A write to a store that is gone fails as a full disk does: the writer retries and reports the fault.
        await _repository.Store.DisposeAsync();
        var pending = _repository.Prepare(new NewSighting(
            TestImages.Tracklet("gate", 1, T0, T0.AddSeconds(1), [new ReId.Tracking.TrackletSample(T0, new Box(1, 1, 2, 2), TestImages.Solid(1, 2, 3))], [0xFF]),
            MeanColourEmbedder.Embed([TestImages.Solid(1, 2, 3)]), _embedder.ModelVersion));
        using var cts = new CancellationTokenSource();
        var write = _writer.WriteAsync(pending, cts.Token);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (_writer.Fault is null && waited.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(10);
        }

        var (code, body) = await GetAsync(ServiceHealth.ReadyPath);
        var (liveCode, live) = await GetAsync(ServiceHealth.LivePath);
        await cts.CancelAsync();
        Assert.That(async () => await write, Throws.InstanceOf<OperationCanceledException>());

        Assert.That(code, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(body.GetProperty("status").GetString(), Is.EqualTo("Unhealthy"));
        Assert.That(Check(body, "store").GetProperty("description").GetString(), Does.StartWith("the store cannot write since").And.Contain("disposed"));
        Assert.That(liveCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(live.GetProperty("status").GetString(), Is.EqualTo("Healthy"));
    }

    [Test]
    public async Task Ready_PipelineStopped_IsUnhealthyNamingTheStage()
    {
        _context.PipelineError = "pipeline stage 'encoder' failed and was not restarted again: out of memory";

        var (code, body) = await GetAsync(ServiceHealth.ReadyPath);

        Assert.That(code, Is.EqualTo(HttpStatusCode.ServiceUnavailable));
        Assert.That(Check(body, "pipeline").GetProperty("description").GetString(), Does.Contain("stage 'encoder'"));
        Assert.That((await GetAsync("/healthz")).Code, Is.EqualTo(HttpStatusCode.ServiceUnavailable), "/healthz keeps its meaning");
    }
}
