using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using ReId.Host.Http;

namespace ReId.Host.Pipeline;

/// <summary>
/// What readiness looks at beyond <see cref="ServiceContext"/>: the store stage and each camera's stall timeout.
/// </summary>
internal sealed record ReadinessSources(StoreWriter? Store, IReadOnlyDictionary<string, TimeSpan> StallTimeouts, TimeProvider Time);

/// <summary>
/// ASP.NET Core health checks. Liveness (<c>/healthz/live</c>) runs none: the process answers. Readiness
/// (<c>/healthz/ready</c>): <c>Degraded</c> (200) when a camera has been down longer than its stall timeout,
/// <c>Unhealthy</c> (503) when the store cannot write, the encoder is unusable or the pipeline stopped; the JSON body
/// names each part, its status and why.
/// </summary>
internal static class ServiceHealth
{
    public const string LivePath = "/healthz/live";
    public const string ReadyPath = "/healthz/ready";
    private const string Ready = "ready";

    public static IServiceCollection AddServiceHealthChecks(this IServiceCollection services, ServiceContext service)
    {
        services.AddHealthChecks()
            .AddCheck("cameras", new DelegateCheck(() => Cameras(service)), tags: [Ready])
            .AddCheck("store", new DelegateCheck(() => Store(service)), tags: [Ready])
            .AddCheck("encoder", new DelegateCheck(() => Encoder(service)), tags: [Ready])
            .AddCheck("pipeline", new DelegateCheck(() => Pipeline(service)), tags: [Ready]);
        return services;
    }

    /// <summary>Maps the two probes as plain GET routes over the registered checks (so the API description lists them).</summary>
    public static void MapServiceHealth(this WebApplication app)
    {
        // Probes need no key (orchestrators, docker): the bodies name cameras and parts, never a URL or a secret.
        app.MapGet(LivePath, async (HealthCheckService health, CancellationToken cancellationToken) =>
                Answer(await health.CheckHealthAsync(_ => false, cancellationToken).ConfigureAwait(false)))
            .Produces<HealthBody>(StatusCodes.Status200OK).Requires(Access.Anyone);
        app.MapGet(ReadyPath, async (HealthCheckService health, CancellationToken cancellationToken) =>
                Answer(await health.CheckHealthAsync(c => c.Tags.Contains(Ready), cancellationToken).ConfigureAwait(false)))
            .Produces<HealthBody>(StatusCodes.Status200OK).Produces<HealthBody>(StatusCodes.Status503ServiceUnavailable).Requires(Access.Anyone);
    }

    /// <summary>A probe's answer: the overall status and one entry per check.</summary>
    internal sealed record HealthBody(string Status, IReadOnlyList<HealthEntry> Checks);

    internal sealed record HealthEntry(string Name, string Status, string? Description, IReadOnlyDictionary<string, object>? Data);

    // Degraded still takes traffic (200); only Unhealthy is 503, as ASP.NET Core's own health check middleware answers.
    private static IResult Answer(HealthReport report) => TypedResults.Json(
        new HealthBody(report.Status.ToString(), [.. report.Entries.Select(e => new HealthEntry(
            e.Key, e.Value.Status.ToString(), e.Value.Description, e.Value.Data.Count == 0 ? null : e.Value.Data))]),
        statusCode: report.Status == HealthStatus.Unhealthy ? StatusCodes.Status503ServiceUnavailable : StatusCodes.Status200OK);

    internal static HealthCheckResult Cameras(ServiceContext service)
    {
        var sources = service.Readiness;
        var now = sources?.Time.GetUtcNow() ?? DateTimeOffset.UtcNow;
        var down = new List<string>();
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var c in service.Cameras)
        {
            data[c.CameraId] = c.State.ToString().ToLowerInvariant();
            // A file that played to its end (stopped) is done, not down.
            if (c.State is CameraState.Streaming or CameraState.Stopped || c.DownSince is not { } since)
            {
                continue;
            }

            var limit = sources?.StallTimeouts.GetValueOrDefault(c.CameraId) ?? TimeSpan.Zero;
            var downFor = now - since;
            if (c.State == CameraState.Failed || downFor > limit)
            {
                down.Add($"camera {c.CameraId} is {c.State.ToString().ToLowerInvariant()} for {downFor.TotalSeconds:0} s " +
                    $"(stall timeout {limit.TotalSeconds:0.#} s): {c.LastError ?? "no frame yet"}");
            }
        }

        return down.Count == 0
            ? HealthCheckResult.Healthy(service.Cameras.Count == 0 ? "no cameras" : "every camera streams or ended", data)
            : HealthCheckResult.Degraded(string.Join("; ", down), data: data);
    }

    internal static HealthCheckResult Store(ServiceContext service)
    {
        var metrics = service.Metrics.Store;
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["held"] = metrics.QueueDepth(), ["dropped"] = metrics.Dropped };
        return service.Readiness?.Store?.Fault is { } fault
            ? HealthCheckResult.Unhealthy(
                $"the store cannot write since {fault.Since:u} ({fault.Attempts} tries): {fault.Error}; " +
                $"{metrics.QueueDepth()} sightings held, {metrics.Dropped} dropped; queries are answered on what is stored", data: data)
            : HealthCheckResult.Healthy("the store writes", data);
    }

    internal static HealthCheckResult Encoder(ServiceContext service)
    {
        try
        {
            using var lease = service.Embedder.Acquire();
            return HealthCheckResult.Healthy($"model {lease.Embedder.ModelVersion}");
        }
        catch (ObjectDisposedException)
        {
            return HealthCheckResult.Unhealthy("the encoder was disposed: the service is stopping");
        }
    }

    internal static HealthCheckResult Pipeline(ServiceContext service) =>
        service.PipelineError is { } error
            ? HealthCheckResult.Unhealthy($"the pipeline stopped: {error}")
            : HealthCheckResult.Healthy(service.PipelineRunning ? "running" : "not running (no cameras, or every file ended): answers queries");

    private sealed class DelegateCheck(Func<HealthCheckResult> check) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(check());
    }
}
