using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ReId.Host.Http;

/// <summary>Kestrel serving the API and the page; loopback unless the configuration names another address.</summary>
internal sealed class WebServer : IAsyncDisposable
{
    public const string ApiKeyHeader = "X-Api-Key";
    public const string ApiKeyQuery = "key";

    private readonly WebApplication _app;

    private WebServer(WebApplication app) => _app = app;

    /// <summary>The address the server listens on, e.g. http://127.0.0.1:8080.</summary>
    public Uri Address { get; private set; } = null!;

    public static async Task<WebServer> StartAsync(ServiceContext service, ILoggerFactory loggerFactory, CancellationToken cancellationToken = default)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(loggerFactory);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestBodySize = service.Http.MaxUploadBytes;
            var address = service.Http.Address == "localhost" ? IPAddress.Loopback : IPAddress.Parse(service.Http.Address);
            k.Listen(address, service.Http.Port);
        });
        builder.Services.Configure<Microsoft.AspNetCore.Http.Features.FormOptions>(o =>
        {
            o.MultipartBodyLengthLimit = service.Http.MaxUploadBytes;
            o.ValueCountLimit = 64;
        });

        var app = builder.Build();
        if (!string.IsNullOrEmpty(service.Http.ApiKey))
        {
            app.Use(RequireKey(service.Http.ApiKey));
        }

        ApiEndpoints.Map(app, service);
        await app.StartAsync(cancellationToken).ConfigureAwait(false);
        var server = new WebServer(app);
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.Address = new Uri(bound.Replace("[::]", "localhost", StringComparison.Ordinal));
        return server;
    }

    /// <summary>Every route but /healthz (and the page, which asks for the key) needs the key.</summary>
    private static Func<HttpContext, RequestDelegate, Task> RequireKey(string key)
    {
        var expected = Encoding.UTF8.GetBytes(key);
        return (context, next) =>
        {
            var path = context.Request.Path;
            if (path == "/healthz" || path == "/")
            {
                return next(context);
            }

            string? given = context.Request.Headers[ApiKeyHeader];
            if (string.IsNullOrEmpty(given))
            {
                given = context.Request.Query[ApiKeyQuery];
            }

            if (given is not null && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given), expected))
            {
                return next(context);
            }

            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            return context.Response.WriteAsJsonAsync(new ErrorDto(
                $"an API key is needed: send it in the {ApiKeyHeader} header (or as ?{ApiKeyQuery}=... on the page's address)"));
        };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
    }
}
