using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using ReId.Host.Configuration;
using ReId.Host.Http;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;
using ReId.Search;

namespace ReId.Host.Tests;

/// <summary>The API attacked as a hostile client would: malformed input, bombs, floods, wrong keys, other origins.</summary>
[NonParallelizable]
public sealed partial class HttpHardeningTests
{
    private const string OperatorKey = "operator-key-0123456789";
    private const string ViewerKey = "viewer-key-9876543210";
    private static readonly DateTimeOffset T0 = new(2026, 5, 1, 12, 0, 0, TimeSpan.Zero);

    private string _dir = "";
    private SearchRepository _repository = null!;
    private GatedEmbedder _gate = null!;
    private EmbedderSlot _embedder = null!;
    private WebServer _server = null!;
    private HttpClient _operator = null!;
    private HttpClient _viewer = null!;
    private string _a = "", _b = "";

    [OneTimeSetUp]
    public async Task StartAsync()
    {
        _dir = Directory.CreateTempSubdirectory("reid-hardening-").FullName;
        _gate = new GatedEmbedder();
        _embedder = new EmbedderSlot(_gate);
        _repository = new SearchRepository(EmbeddedSightingStore.Open(_dir), new SearchOptions { KeepCrops = false }, () => _embedder.ModelVersion);
        _a = await AddAsync("gate", 1, T0, TestImages.Solid(20, 20, 200));
        _b = await AddAsync("hall", 2, T0.AddSeconds(30), TestImages.Solid(200, 30, 20));
        _server = await WebServer.StartAsync(
            Context(new HttpOptions { Port = 0, ApiKey = OperatorKey, ViewerKey = ViewerKey, MaxConcurrentSearches = 1, MaxUploadBytes = 256 * 1024 }),
            NullLoggerFactory.Instance);
        _operator = Client(OperatorKey);
        _viewer = Client(ViewerKey);
    }

    [OneTimeTearDown]
    public async Task StopAsync()
    {
        _operator.Dispose();
        _viewer.Dispose();
        _gate.Open();
        await _server.DisposeAsync();
        await _repository.DisposeAsync();
        await _embedder.DisposeAsync();
        await _gate.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private HttpClient Client(string? key)
    {
        var client = new HttpClient { BaseAddress = _server.Address };
        if (key is not null)
        {
            client.DefaultRequestHeaders.Add(WebServer.ApiKeyHeader, key);
        }

        return client;
    }

    private Task<string> AddAsync(string camera, long track, DateTimeOffset start, BgrImage crop) =>
        TestImages.AddSightingAsync(_repository, camera, track, start, crop, samples: 2, _embedder.ModelVersion);

    private ServiceContext Context(HttpOptions http) =>
        new(() => [], new PipelineMetrics(), _repository, _embedder, new WhereElseDefaults(), http);

    /// <summary>The response is problem details (RFC 9457) with a status equal to the response's and a non-empty detail.</summary>
    private static async Task<string> AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(status), text);
        Assert.That(response.Content.Headers.ContentType?.MediaType, Is.EqualTo("application/problem+json"), text);
        using var json = JsonDocument.Parse(text);
        Assert.That(json.RootElement.GetProperty("status").GetInt32(), Is.EqualTo((int)status));
        var detail = json.RootElement.GetProperty("detail").GetString();
        Assert.That(detail, Is.Not.Null.And.Not.Empty);
        return detail!;
    }

    private static MultipartFormDataContent Form(byte[] image, string name = "person.png")
    {
        var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(image);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "images", name);
        return form;
    }

    private static string Time(DateTimeOffset t) => Uri.EscapeDataString(t.ToString("O"));

    // --- item 1: decompression bombs and floods of searches

    [Test]
    public async Task Search_PngBomb_Is422BeforeTheEncoderIsAsked()
    {
        var calls = _gate.Calls;
        using var form = Form(Bombs.Png(20000, 20000), "bomb.png");

        var response = await _viewer.PostAsync(new Uri("/api/search", UriKind.Relative), form);

        var detail = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.That(detail, Does.Contain("bomb.png").And.Contain("20000x20000"));
        Assert.That(_gate.Calls, Is.EqualTo(calls));
    }

    [Test]
    public async Task Search_SixteenImagesOverTheBudgetTogether_Is422BeforeAnyIsDecoded()
    {
        var calls = _gate.Calls;
        using var form = new MultipartFormDataContent();
        var image = Bombs.Png(1024, 1024);
        for (var i = 0; i < 16; i++)
        {
            var file = new ByteArrayContent(image);
            file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
            form.Add(file, "images", $"p{i}.png");
        }

        var response = await _viewer.PostAsync(new Uri("/api/search", UriKind.Relative), form);

        var detail = await AssertProblemAsync(response, HttpStatusCode.UnprocessableEntity);
        Assert.That(detail, Does.Contain("16 images are 16777216 pixels together").And.Contain("Http:MaxSearchPixels"));
        Assert.That(_gate.Calls, Is.EqualTo(calls));
    }

    [Test]
    [CancelAfter(30_000)]
    public async Task Search_WhileTheLimitIsInUse_Is429WithRetryAfter(CancellationToken cancellationToken)
    {
        _gate.Close();
        using var first = Form(TestImages.Encode(TestImages.Solid(200, 30, 20, 64, 128), ".png"));
        var running = _viewer.PostAsync(new Uri("/api/search", UriKind.Relative), first, cancellationToken);
        await _gate.Entered.WaitAsync(cancellationToken);

        using var second = Form(TestImages.Encode(TestImages.Solid(200, 30, 20, 64, 128), ".png"));
        var refused = await _viewer.PostAsync(new Uri("/api/search", UriKind.Relative), second, cancellationToken);
        _gate.Open();
        var done = await running;

        var detail = await AssertProblemAsync(refused, HttpStatusCode.TooManyRequests);
        Assert.That(detail, Does.Contain("Http:MaxConcurrentSearches"));
        Assert.That(refused.Headers.RetryAfter?.Delta, Is.EqualTo(TimeSpan.FromSeconds(1)));
        Assert.That(done.StatusCode, Is.EqualTo(HttpStatusCode.OK), "the search that held the permit finished");
    }

    // --- item 8: problem details everywhere

    [TestCase("/api/sightings?from={1}&to={0}")]
    [TestCase("/api/sightings/{2}/where-else?from={1}&to={0}")]
    public async Task Query_FromAfterTo_Is400SayingSo(string path)
    {
        var url = path.Replace("{0}", Time(T0), StringComparison.Ordinal).Replace("{1}", Time(T0.AddHours(1)), StringComparison.Ordinal)
            .Replace("{2}", _a, StringComparison.Ordinal);

        var detail = await AssertProblemAsync(await _viewer.GetAsync(new Uri(url, UriKind.Relative)), HttpStatusCode.BadRequest);

        Assert.That(detail, Does.Contain("is after to"));
    }

    [Test]
    public async Task Search_FromAfterTo_Is400SayingSo()
    {
        using var form = Form(TestImages.Encode(TestImages.Solid(1, 2, 3, 64, 128), ".png"));

        var response = await _viewer.PostAsync(new Uri($"/api/search?from={Time(T0.AddHours(1))}&to={Time(T0)}", UriKind.Relative), form);

        Assert.That(await AssertProblemAsync(response, HttpStatusCode.BadRequest), Does.Contain("is after to"));
    }

    [Test]
    public async Task Feedback_OneGuidInTwoWrittenForms_Is400SameSighting()
    {
        var upper = _a.ToUpperInvariant();
        var bare = _a.Replace("-", "", StringComparison.Ordinal);

        var response = await _operator.PostAsJsonAsync(new Uri("/api/feedback", UriKind.Relative), new { a = upper, b = bare, decision = "reject" });

        Assert.That(await AssertProblemAsync(response, HttpStatusCode.BadRequest), Does.Contain("same sighting").And.Contain(_a));
    }

    [Test]
    public async Task Feedback_UpperCaseIds_AreTheStoredSightings()
    {
        var response = await _operator.PostAsJsonAsync(new Uri("/api/feedback", UriKind.Relative),
            new { a = _a.ToUpperInvariant(), b = "{" + _b + "}", decision = "reject" });

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), await response.Content.ReadAsStringAsync());
    }

    [TestCase("{\"a\": ", "LineNumber")]
    [TestCase("[1, 2]", "JSON")]
    [TestCase("{\"a\": 5, \"b\": true}", "JSON")]
    public async Task Feedback_MalformedJson_Is400SayingWhere(string body, string said)
    {
        using var content = new StringContent(body, Encoding.UTF8, "application/json");

        var response = await _operator.PostAsync(new Uri("/api/feedback", UriKind.Relative), content);

        Assert.That(await AssertProblemAsync(response, HttpStatusCode.BadRequest), Does.Contain(said));
    }

    [Test]
    public async Task Feedback_NotJson_Is415()
    {
        using var content = new StringContent("a=1&b=2", Encoding.UTF8, "text/plain");

        var response = await _operator.PostAsync(new Uri("/api/feedback", UriKind.Relative), content);

        Assert.That(await AssertProblemAsync(response, HttpStatusCode.UnsupportedMediaType), Does.Contain("Content-Type 'text/plain"));
    }

    [Test]
    public async Task Search_SeventyFormFields_Is400NamingTheFieldLimit()
    {
        using var form = new MultipartFormDataContent();
        for (var i = 0; i < 70; i++)
        {
            form.Add(new StringContent("x"), $"field{i}");
        }

        var response = await _viewer.PostAsync(new Uri("/api/search", UriKind.Relative), form);

        Assert.That(await AssertProblemAsync(response, HttpStatusCode.BadRequest), Does.Contain("count limit").And.Contain("16 image files"));
    }

    [Test]
    public async Task UnknownRoute_Is404ProblemDetails()
    {
        var detail = await AssertProblemAsync(await _viewer.GetAsync(new Uri("/api/nothing-here", UriKind.Relative)), HttpStatusCode.NotFound);

        Assert.That(detail, Does.Contain("/api/nothing-here"));
    }

    /// <summary>
    /// Every mapped route (found from the server, so a new route is swept too) with malformed path values, query
    /// values and bodies: no 5xx, and every error is problem details with a detail.
    /// </summary>
    [Test]
    public async Task EveryRoute_MalformedInput_NoServerErrorAndEveryErrorSaysWhy()
    {
        // A NUL in the path is refused by Kestrel itself (a bare 400) before any route runs: not swept here.
        string[] badIds = ["not-a-guid", "%2500", "..%2F..%2Fetc%2Fpasswd", new string('9', 300), "00000000-0000-0000-0000-00000000000G", Guid.NewGuid().ToString("N")];
        string[] badQueries =
        [
            "", "?limit=-1", "?limit=99999999999", "?k=abc", "?k=0", "?minScore=NaN", "?minScore=2", "?camera=..%2Fx", "?cameras=,,%20,",
            "?cameras=a%00b", "?from=yesterday", "?to=9999-99-99", $"?from={Time(T0.AddDays(1))}&to={Time(T0)}", "?from=&to=", "?limit=1&limit=2",
        ];
        var routes = _server.Routes;
        Assert.That(routes, Has.Count.GreaterThanOrEqualTo(12), "the sweep sees the mapped routes");
        var failures = new List<string>();
        var requests = 0;
        foreach (var route in routes)
        {
            var methods = route.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()?.HttpMethods ?? ["GET"];
            var template = route.RoutePattern.RawText!;
            var paths = template.Contains('{', StringComparison.Ordinal)
                ? badIds.Append(_a.ToUpperInvariant()).Select(value => RouteParameter().Replace(template, value))
                : [template];
            foreach (var method in methods)
            {
                foreach (var path in paths)
                {
                    foreach (var query in badQueries)
                    {
                        foreach (var body in Bodies(method))
                        {
                            using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(path + query, UriKind.Relative)) { Content = body };
                            using var response = await _operator.SendAsync(request);
                            requests++;
                            var text = await response.Content.ReadAsStringAsync();
                            var code = (int)response.StatusCode;
                            if (code >= 500)
                            {
                                failures.Add($"{method} {path}{query}: {code} {text}");
                            }
                            else if (code >= 400 && (response.Content.Headers.ContentType?.MediaType != "application/problem+json" ||
                                                     string.IsNullOrEmpty(JsonDocument.Parse(text).RootElement.GetProperty("detail").GetString())))
                            {
                                failures.Add($"{method} {path}{query}: {code} without problem details: {text}");
                            }
                        }
                    }
                }
            }
        }

        TestContext.Out.WriteLine($"{requests} malformed requests over {routes.Count} routes");
        Assert.That(failures, Is.Empty);
    }

    [System.Text.RegularExpressions.GeneratedRegex(@"\{[^}]+\}")]
    private static partial System.Text.RegularExpressions.Regex RouteParameter();

    // --- issue 14: the API description

    [Test]
    public async Task OpenApi_DescribesEveryMappedRouteWithItsProblemAnswers()
    {
        using var json = JsonDocument.Parse(await _viewer.GetStringAsync(new Uri("/openapi/v1.json", UriKind.Relative)));
        var paths = json.RootElement.GetProperty("paths");
        var described = new List<string>();
        var missing = new List<string>();
        foreach (var route in _server.Routes.Where(r => !r.RoutePattern.RawText!.StartsWith("/openapi/", StringComparison.Ordinal)))
        {
            var template = route.RoutePattern.RawText!;
            foreach (var method in route.Metadata.GetMetadata<Microsoft.AspNetCore.Routing.HttpMethodMetadata>()!.HttpMethods)
            {
                var found = paths.TryGetProperty(template, out var item) && item.TryGetProperty(method.ToLowerInvariant(), out _);
                (found ? described : missing).Add($"{method} {template}");
            }
        }

        TestContext.Out.WriteLine(string.Join(Environment.NewLine, described));
        Assert.That(missing, Is.Empty,
            "mapped routes the document does not describe (only route handlers are described: map a health or metrics endpoint as a handler, with .Produces)");
        Assert.That(described, Has.Count.GreaterThanOrEqualTo(13));
        string[] Responses(string path, string method) =>
            [.. paths.GetProperty(path).GetProperty(method).GetProperty("responses").EnumerateObject().Select(p => p.Name)];
        Assert.That(Responses("/api/feedback", "post"), Is.SupersetOf(new[] { "200", "400", "401", "403", "404", "415" }));
        Assert.That(Responses("/api/search", "post"), Is.SupersetOf(new[] { "200", "401", "413", "422", "429" }));
        Assert.That(Responses("/healthz", "get"), Does.Not.Contain("401"));
        Assert.That(json.RootElement.GetProperty("components").GetProperty("schemas").TryGetProperty("SightingDto", out _), Is.True);
        string[] Parameters(string path, string method) =>
            [.. paths.GetProperty(path).GetProperty(method).GetProperty("parameters").EnumerateArray().Select(p => p.GetProperty("name").GetString()!)];
        Assert.That(Parameters("/api/sightings", "get"), Is.EquivalentTo(new[] { "camera", "from", "to", "limit" }));
        Assert.That(Parameters("/api/sightings/{id}/where-else", "get"), Is.EquivalentTo(new[] { "id", "k", "cameras", "from", "to", "minScore" }));
        Assert.That(Parameters("/api/search", "post"), Is.EquivalentTo(new[] { "k", "cameras", "from", "to", "minScore" }));
    }

    private static IEnumerable<HttpContent?> Bodies(string method)
    {
        if (method != "POST")
        {
            yield return null;
            yield break;
        }

        yield return null;
        yield return new StringContent("", Encoding.UTF8, "application/json");
        yield return new StringContent("{\"a\": ", Encoding.UTF8, "application/json");
        yield return new StringContent("{\"a\": \"x\", \"b\": \"y\", \"decision\": 7}", Encoding.UTF8, "application/json");
        yield return new StringContent("null", Encoding.UTF8, "application/json");
        yield return new StringContent("<xml/>", Encoding.UTF8, "application/xml");
        yield return new ByteArrayContent([0xFF, 0xD8, 0xFF, 0x00]) { Headers = { ContentType = new MediaTypeHeaderValue("image/jpeg") } };
        yield return new ByteArrayContent([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0]) { Headers = { ContentType = new MediaTypeHeaderValue("image/png") } };
        var form = new MultipartFormDataContent { { new StringContent("x"), "notafile" } };
        yield return form;
        yield return new StringContent("--x\r\nbroken", Encoding.UTF8, "multipart/form-data");
    }

    // --- item 6: the key in the header only, security headers

    [TestCase("/")]
    [TestCase("/api/cameras")]
    [TestCase("/api/nothing-here")]
    public async Task Response_CarriesTheSecurityHeaders(string path)
    {
        using var anonymous = Client(null);

        var response = await anonymous.GetAsync(new Uri(path, UriKind.Relative));

        Assert.That(response.Headers.GetValues("X-Content-Type-Options"), Is.EqualTo(new[] { "nosniff" }));
        Assert.That(response.Headers.GetValues("X-Frame-Options"), Is.EqualTo(new[] { "DENY" }));
        Assert.That(response.Headers.GetValues("Referrer-Policy"), Is.EqualTo(new[] { "no-referrer" }));
        var policy = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.That(policy, Does.Contain("default-src 'none'").And.Contain("frame-ancestors 'none'"));
        if (path == "/")
        {
            Assert.That(policy, Does.Contain("script-src 'sha256-").And.Contain("img-src 'self' blob:").And.Not.Contain("unsafe-inline"));
        }
    }

    [Test]
    public async Task Page_HasNoKeyInAddressesAndRunsUnderItsPolicy()
    {
        var html = await Client(null).GetStringAsync(new Uri("/", UriKind.Relative));

        Assert.That(html, Does.Not.Contain("key=").And.Not.Contain("style=\"").And.Not.Contain(" onclick="));
    }

    // --- item 7: roles

    [Test]
    public async Task ViewerKey_Looks_ButFeedbackIs403NamingTheOperatorKey()
    {
        var list = await _viewer.GetAsync(new Uri("/api/sightings", UriKind.Relative));
        var feedback = await _viewer.PostAsJsonAsync(new Uri("/api/feedback", UriKind.Relative), new { a = _a, b = _b, decision = "confirm" });

        Assert.That(list.StatusCode, Is.EqualTo(HttpStatusCode.OK));
        Assert.That(await AssertProblemAsync(feedback, HttpStatusCode.Forbidden), Does.Contain("operator key (Http:ApiKey)"));
    }

    [TestCase(ViewerKey, "viewer")]
    [TestCase(OperatorKey, "operator")]
    public async Task Info_SaysWhatTheKeyAllows(string key, string access)
    {
        using var client = Client(key);

        using var json = JsonDocument.Parse(await client.GetStringAsync(new Uri("/api/info", UriKind.Relative)));

        Assert.That(json.RootElement.GetProperty("access").GetString(), Is.EqualTo(access));
    }

    [Test]
    public async Task WrongKey_Is401ProblemDetails()
    {
        using var client = Client("not-the-key-of-this-service");

        var detail = await AssertProblemAsync(await client.GetAsync(new Uri("/api/sightings", UriKind.Relative)), HttpStatusCode.Unauthorized);

        Assert.That(detail, Does.Contain("no key of this service"));
    }

    [Test]
    public void EveryRoute_DeclaresTheAccessItNeeds()
    {
        var undeclared = _server.Routes.Where(r => r.Metadata.GetMetadata<RequiresAccess>() is null).Select(r => r.RoutePattern.RawText);

        Assert.That(undeclared, Is.Empty, "give every route .Requires(Access.X): an undeclared one needs the viewer key (so /healthz-like routes would ask for one)");
        Assert.That(_server.Routes.Single(r => r.RoutePattern.RawText == "/api/feedback").Metadata.GetMetadata<RequiresAccess>()!.Level, Is.EqualTo(Access.Operator));
    }

    // --- item 5: exposure beyond loopback, real keys

    [TestCase("0.0.0.0")]
    [TestCase("::")]
    [TestCase("192.168.1.5")]
    public void Validator_BeyondLoopbackWithoutKey_IsRefusedSayingWhatToSet(string address)
    {
        var result = new HttpOptionsValidator().Validate(null, new HttpOptions { Address = address });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain(address).And.Contain("Http:ApiKey").And.Contain("Http:AllowAnonymousRemote=true"));
    }

    [TestCase("127.0.0.1", false)]
    [TestCase("localhost", false)]
    [TestCase("::1", false)]
    [TestCase("0.0.0.0", true)]
    public void Validator_LoopbackOrAllowedOnPurpose_IsAccepted(string address, bool allow)
    {
        var result = new HttpOptionsValidator().Validate(null, new HttpOptions { Address = address, AllowAnonymousRemote = allow });

        Assert.That(result.Succeeded, Is.True, result.FailureMessage);
    }

    [TestCase("                ")]
    [TestCase("short-key")]
    [TestCase("aaaaaaaaaaaaaaaaaaaa")]
    [TestCase("a key with spaces in it")]
    public void Validator_KeyThatIsNoRealKey_IsRefusedWithoutEchoingIt(string key)
    {
        var result = new HttpOptionsValidator().Validate(null, new HttpOptions { ApiKey = key });

        Assert.That(result.Failed, Is.True);
        Assert.That(result.FailureMessage, Does.Contain("Http:ApiKey").And.Contain("16 visible ASCII characters"));
        if (key.Trim().Length > 0)
        {
            Assert.That(result.FailureMessage, Does.Not.Contain(key));
        }
    }

    [Test]
    public void Validator_ViewerKeyWithoutOperatorKey_IsRefused()
    {
        var result = new HttpOptionsValidator().Validate(null, new HttpOptions { ViewerKey = ViewerKey });

        Assert.That(result.FailureMessage, Does.Contain("Http:ViewerKey is set without Http:ApiKey"));
    }

    [Test]
    public async Task Start_BeyondLoopbackWithoutKey_IsRefusedEvenWithoutTheValidator()
    {
        var context = Context(new HttpOptions { Address = "0.0.0.0", Port = 0 });

        var e = await Assert.ThrowsAsync<ArgumentException>(() => WebServer.StartAsync(context, NullLoggerFactory.Instance));

        Assert.That(e!.Message, Does.Contain("Http:AllowAnonymousRemote"));
    }

    [Test]
    public async Task Start_OnEveryIPv6Interface_ReportsTheBoundAddressNotLocalhost()
    {
        var context = Context(new HttpOptions { Address = "::", Port = 0, ApiKey = OperatorKey });

        await using var server = await WebServer.StartAsync(context, NullLoggerFactory.Instance);

        Assert.That(server.Address.Host, Is.EqualTo("[::]"));
        Assert.That(server.Addresses, Has.All.Not.Contain("localhost"));
    }

    [Test]
    public async Task Start_AnonymousRemoteAllowed_WarnsAtStart()
    {
        var logs = new ListLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(logs));
        var context = Context(new HttpOptions { Address = "0.0.0.0", Port = 0, AllowAnonymousRemote = true });

        await using var server = await WebServer.StartAsync(context, factory);

        Assert.That(logs.Lines, Has.Some.Contains("Warning").And.Contains("without an API key").And.Contains("0.0.0.0"));
    }

    /// <summary>An encoder that blocks inside <see cref="EmbedAsync"/> while closed, to hold a search's permit.</summary>
    private sealed class GatedEmbedder : ITrackletEmbedder
    {
        private volatile TaskCompletionSource _open = Opened();
        private TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public string ModelVersion => "colour-1";
        public int Dimension => 128;
        public int Calls { get; private set; }
        public Task Entered => _entered.Task;

        public void Close()
        {
            _entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        public void Open() => _open.TrySetResult();

        public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<BgrImage>> tracklets, CancellationToken cancellationToken = default)
        {
            Calls++;
            _entered.TrySetResult();
            await _open.Task.WaitAsync(cancellationToken);
            return [.. tracklets.Select(MeanColourEmbedder.Embed)];
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static TaskCompletionSource Opened()
        {
            var open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            open.SetResult();
            return open;
        }
    }

    private sealed class ListLoggerProvider : ILoggerProvider
    {
        private readonly List<string> _lines = [];

        public IReadOnlyList<string> Lines
        {
            get
            {
                lock (_lines)
                {
                    return [.. _lines];
                }
            }
        }

        public ILogger CreateLogger(string categoryName) => new Logger(this);

        public void Dispose()
        {
        }

        private sealed class Logger(ListLoggerProvider owner) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                lock (owner._lines)
                {
                    owner._lines.Add($"{logLevel}: {formatter(state, exception)}");
                }
            }
        }
    }
}
