using System.Text;
using Microsoft.AspNetCore.Builder;
using Prometheus;
using ReId.Host.Http;

namespace ReId.Host.Pipeline;

/// <summary>
/// /metrics in Prometheus's text format, by prometheus-net: the pipeline's instruments (meter
/// <see cref="PipelineMetrics.MeterName"/>, names <c>reid_*</c>), the process and the .NET runtime (<c>process_*</c>,
/// <c>dotnet_*</c>: CPU, memory, GC collections) and the HTTP requests (<c>http_request*</c>). One registry per web
/// server, so services in one process (as in the tests) do not add into each other's figures.
/// </summary>
/// <remarks>
/// prometheus-net gives a .NET counter the Prometheus type gauge (it cannot tell that the counter was not made anew);
/// the names still end in <c>_total</c> and <c>rate()</c> works on them.
/// </remarks>
internal sealed class MetricsExport : IDisposable
{
    /// <summary>Prometheus's text exposition format.</summary>
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly CollectorRegistry _registry;
    private readonly IMetricFactory _factory;
    private readonly IDisposable _meterAdapter;

    private MetricsExport(CollectorRegistry registry, IMetricFactory factory, IDisposable meterAdapter)
    {
        _registry = registry;
        _factory = factory;
        _meterAdapter = meterAdapter;
    }

    /// <summary>Starts listening to <paramref name="service"/>'s instruments, the process and the runtime.</summary>
    public static MetricsExport Start(ServiceContext service)
    {
        // the static default registry (and the listeners it would start on every meter of the process) stays unused
        Metrics.SuppressDefaultMetrics();
        var registry = Metrics.NewCustomRegistry();
        var factory = Metrics.WithCustomRegistry(registry);
        var metrics = service.Metrics;
        // a scrape counts the store (one quick query; the adapter reads observed instruments synchronously)
        metrics.Observe(() => service.Cameras, () => service.Embedder.ModelVersion, () => service.Store.CountAsync().GetAwaiter().GetResult(),
            service.StoreBytes);
        var adapter = MeterAdapter.StartListening(new MeterAdapterOptions
        {
            // both: Registry for the observed instruments' callback before a scrape, the factory for the series (with
            // Registry alone prometheus-net 8.2.1 exports none of them)
            Registry = registry,
            MetricFactory = factory,
            InstrumentFilterPredicate = instrument => instrument.Meter == metrics.Meter,
            ResolveHistogramBuckets = _ => PipelineMetrics.LatencyBuckets,
            // prometheus-net drops a series not updated for this long (5 minutes by default, 1 day at most): the
            // observed counters and gauges are updated at every scrape; a histogram goes after a day without a value
            MetricsExpireAfter = TimeSpan.FromDays(1),
        });
        DotNetStats.Register(registry);
        return new MetricsExport(registry, factory, adapter);
    }

    /// <summary>Counts <paramref name="app"/>'s requests from here on in the pipeline (count, duration, in progress).</summary>
    public void CountRequests(IApplicationBuilder app) => app.UseHttpMetrics(options => options.SetMetricFactory(_factory));

    /// <summary>Everything, in Prometheus's text format.</summary>
    public async Task<string> ScrapeAsync(CancellationToken cancellationToken)
    {
        using var text = new MemoryStream();
        await _registry.CollectAndExportAsTextAsync(text, cancellationToken).ConfigureAwait(false);
        return Encoding.UTF8.GetString(text.ToArray());
    }

    public void Dispose() => _meterAdapter.Dispose();
}
