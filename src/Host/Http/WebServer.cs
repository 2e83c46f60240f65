using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;

namespace ReId.Host.Http;

/// <summary>
/// Kestrel serving the API and the page; loopback unless the configuration names another address (which then needs a
/// key, or Http:AllowAnonymousRemote). Every error leaves as problem details; every response carries the security headers.
/// </summary>
internal sealed partial class WebServer : IAsyncDisposable
{
    public const string ApiKeyHeader = ApiKeyGate.Header;

    /// <summary>The concurrency limiter of POST /api/search (Http:MaxConcurrentSearches).</summary>
    public const string SearchLimiter = "search";

    /// <summary>API responses load, frame and run nothing.</summary>
    private const string ApiPolicy = "default-src 'none'; frame-ancestors 'none'";

    private readonly WebApplication _app;
    private readonly MetricsExport _metrics;

    private WebServer(WebApplication app, MetricsExport metrics, IReadOnlyList<string> addresses)
    {
        _app = app;
        _metrics = metrics;
        Addresses = addresses;
        Address = new Uri(addresses[0]);
    }

    /// <summary>The first address listened on, as bound (http://0.0.0.0:8080 and http://[::]:8080 stay what they are).</summary>
    public Uri Address { get; }

    /// <summary>Every address listened on, as Kestrel bound them.</summary>
    public IReadOnlyList<string> Addresses { get; }

    /// <summary>The mapped routes (for tests that must cover every one).</summary>
    public IReadOnlyList<RouteEndpoint> Routes =>
        [.. _app.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()];

    /// <exception cref="ArgumentException">The options would serve beyond loopback without a key, not allowed on purpose.</exception>
    public static async Task<WebServer> StartAsync(ServiceContext service, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        var http = service.Http;
        if (HttpOptionsValidator.ExposureError(http) is { } exposed)
        {
            throw new ArgumentException(exposed, nameof(service));
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = http.MaxUploadBytes;
            var address = http.Address == "localhost" ? IPAddress.Loopback : IPAddress.Parse(http.Address);
            k.Listen(address, http.Port);
        });
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o =>
        {
            o.MultipartBodyLengthLimit = http.MaxUploadBytes;
            o.ValueCountLimit = 64;
        });
        builder.Services.AddOpenApi();
        builder.Services.AddProblemDetails(o => o.CustomizeProblemDetails = c => c.ProblemDetails.Detail ??= DefaultDetail(c.HttpContext));
        builder.Services.AddExceptionHandler<ProblemExceptionHandler>();
        // Binding failures (malformed JSON, a wrong content type) throw, so the exception handler can say what was wrong.
        builder.Services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);
        builder.Services.AddRateLimiter(o =>
        {
            o.AddConcurrencyLimiter(SearchLimiter, l =>
            {
                l.PermitLimit = http.MaxConcurrentSearches;
                l.QueueLimit = 0;
            });
            o.RejectionStatusCode = StatusCodes.Status429TooManyRequests;
            o.OnRejected = (context, _) =>
            {
                context.HttpContext.Response.Headers.RetryAfter = "1";
                return new ValueTask(ApiEndpoints.Error(StatusCodes.Status429TooManyRequests,
                        $"{http.MaxConcurrentSearches} searches by image are running already (Http:MaxConcurrentSearches): try again in a second")
                    .ExecuteAsync(context.HttpContext));
            };
        });

        builder.Services.AddServiceHealthChecks(service);
        // /metrics (ApiEndpoints) reads this service's instruments, process, GC and HTTP figures from it
        var metrics = MetricsExport.Start(service);
        builder.Services.AddSingleton(metrics);

        var app = builder.Build();
        app.Use(SecurityHeaders);
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseRouting();
        // after routing (the route is a label), before the key gate (refused requests are counted too)
        metrics.CountRequests(app);
        app.Use(new ApiKeyGate(http).InvokeAsync);
        app.UseRateLimiter();
        ApiEndpoints.Map(app, service);
        app.MapServiceHealth();
        // The API description, /openapi/v1.json: routes, request bodies, responses and the problem answers of each.
        app.MapOpenApi("/openapi/v1.json").Requires(Access.Viewer);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var server = new WebServer(app, metrics, [.. app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses]);
        if (!http.IsLoopback && http.ApiKey is null)
        {
            LogAnonymousRemote(loggerFactory.CreateLogger<WebServer>(), string.Join(", ", server.Addresses));
        }

        return server;
    }

    private static Task SecurityHeaders(HttpContext context, RequestDelegate next)
    {
        // Set as the response starts, so error responses (whose headers the exception handler clears) carry them too.
        context.Response.OnStarting(() =>
        {
            var headers = context.Response.Headers;
            headers.XContentTypeOptions = "nosniff";
            headers.XFrameOptions = "DENY";
            headers["Referrer-Policy"] = "no-referrer";
            headers.ContentSecurityPolicy = context.Request.Path == "/" ? Page.ContentSecurityPolicy : ApiPolicy;
            return Task.CompletedTask;
        });
        return next(context);
    }

    /// <summary>A detail for errors written without one (no route, a method not allowed).</summary>
    private static string DefaultDetail(HttpContext context)
    {
        var request = context.Request;
        return context.Response.StatusCode switch
        {
            StatusCodes.Status404NotFound => $"nothing is served at {request.Method} {request.Path}: README's API section lists the routes",
            StatusCodes.Status405MethodNotAllowed => $"{request.Method} is not allowed on {request.Path}",
            StatusCodes.Status415UnsupportedMediaType =>
                $"{request.Method} {request.Path} takes no body of Content-Type '{request.ContentType}': README's API section says what each route takes",
            var status => $"{ReasonPhrases.GetReasonPhrase(status)} ({request.Method} {request.Path})",
        };
    }

    [LoggerMessage(EventId = 40, Level = LogLevel.Warning,
        Message = "serving {Addresses} beyond loopback without an API key (Http:AllowAnonymousRemote=true): anyone who reaches the port can search and give feedback")]
    private static partial void LogAnonymousRemote(ILogger logger, string addresses);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        // given to the container as an instance: the container does not dispose it
        _metrics.Dispose();
    }
}
