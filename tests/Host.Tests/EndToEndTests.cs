using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using ReId.Host.Commands;
using ReId.Host.Configuration;
using ReId.Host.Http;
using ReId.Host.Pipeline;
using ReId.Host.Pipeline.Adapters;

namespace ReId.Host.Tests;

/// <summary>
/// The whole service on two cameras made from the sample video: B is a mirrored, recoloured, resized copy whose
/// recording starts 20 s after A's. For each person tracked in A, where-else must put their counterpart in B first.
/// A counterpart is a B sighting that overlaps the A sighting's time shifted by 20 s, with the mirrored box position
/// (centres compared at the same shifted times, in frame-relative coordinates).
/// </summary>
[Category("EndToEnd")]
[NonParallelizable]
public sealed class EndToEndTests
{
    /// <summary>Seconds of the sample video used (REID_E2E_SECONDS overrides); the run takes about that long.</summary>
    private static double Seconds => double.TryParse(Environment.GetEnvironmentVariable("REID_E2E_SECONDS"), NumberStyles.Float, CultureInfo.InvariantCulture, out var s) ? s : 40;

    internal sealed record SightingJson(string Id, string Camera, long Track, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, SampleJson[] Samples, float? Score);

    internal sealed record SampleJson(DateTimeOffset Time, float[] Box);

    /// <summary>
    /// With chromium installed: once a few sightings are stored and the pipeline still runs, the page shows them;
    /// its screenshot is kept with the test run (<c>page-while-processing.png</c>).
    /// </summary>
    private static async Task LookAtThePageWhileProcessingAsync(Uri url, HttpClient client, Task pipeline)
    {
        if (HeadlessChromium.Find() is not { } chromium)
        {
            TestContext.Out.WriteLine("chromium is not installed: no look at the page while processing");
            return;
        }

        int stored = 0;
        while (!pipeline.IsCompleted && stored < 3)
        {
            await Task.Delay(500);
            stored = (await client.GetFromJsonAsync<SightingJson[]>(new Uri("/api/sightings?limit=10", UriKind.Relative)))!.Length;
        }

        Assert.That(pipeline.IsCompleted, Is.False, "the video should still be processing when the first sightings are stored");
        await using var browser = await HeadlessChromium.StartAsync(chromium);
        await browser.NavigateAsync(url);
        bool cards = await browser.WaitForAsync("document.querySelectorAll('#sightings .card').length >= 3", TimeSpan.FromSeconds(20));
        using var health = JsonDocument.Parse(await client.GetStringAsync(new Uri("/healthz", UriKind.Relative)));
        var path = Path.Combine(TestContext.CurrentContext.WorkDirectory, "page-while-processing.png");
        await File.WriteAllBytesAsync(path, await browser.ScreenshotAsync());
        TestContext.AddTestAttachment(path, "the page while the pipeline is still processing the video");
        TestContext.Out.WriteLine($"screenshot while processing: {path}");
        Assert.That(cards, Is.True, "the page lists the sightings stored so far");
        Assert.That(health.RootElement.GetProperty("pipeline").GetString(), Is.EqualTo("running"));
    }

    [Test]
    public async Task WhereElse_PeopleOfCameraA_PutsTheirCounterpartInCameraBFirst()
    {
        var video = TestPaths.RequireSampleVideo();
        var yolox = TestPaths.YoloxModel() ?? throw new IgnoreException("the YOLOX model ../shared/models/yolox_nano.onnx is absent (set REID_YOLOX_MODEL)");
        var work = Directory.CreateTempSubdirectory("reid-e2e-").FullName;
        try
        {
            var a = Path.Combine(work, "a.mp4");
            var b = Path.Combine(work, "b.mp4");
            await SampleCameras.TrimAsync(video, a, Seconds);
            await SampleCameras.MakeChangedCopyAsync(video, b, Seconds);
            var options = new ServiceSettings();
            options.Cameras.AddRange(SampleCameras.Sections(a, b, new DateTimeOffset(2026, 5, 1, 9, 0, 0, TimeSpan.Zero), 768, 576, 10));
            options.Detection.Detector = "yolox";
            options.Detection.ModelPath = yolox;
            // 5 of the 10 frames a second per camera are detected: the rate two busy cores keep without drops, and
            // frequent enough for the tracker (people move a few pixels in 0.2 s).
            options.Pipeline.DetectionFpsPerCamera = 5;
            options.Pipeline.DetectionQueueCapacity = 64;
            options.Search.Directory = Path.Combine(work, "data");
            options.Http.Port = 0;
            // The service's default: the trained model shipped beside the program (REID_ENCODER_MODEL: another file).
            options.Encoder.ModelPath = Environment.GetEnvironmentVariable("REID_ENCODER_MODEL") ?? "";
            // Camera B is a mirror image of A's scene (REID_E2E_FLIP_AVERAGE=false measures without).
            options.Encoder.FlipAverage = Environment.GetEnvironmentVariable("REID_E2E_FLIP_AVERAGE") != "false";
            ConfigurationLoader.Validate(options);

            using var loggerFactory = LoggerFactory.Create(l => l.SetMinimumLevel(LogLevel.Warning).AddSimpleConsole());
            await using var service = await ReidService.CreateAsync(options, loggerFactory, EncoderAdapter.Create).ConfigureAwait(false);
            // the page is served while the pipeline runs (as the demo does): look at it mid-run
            var url = await service.StartWebAsync();
            using var client = new HttpClient { BaseAddress = url };
            var running = service.RunPipelineAsync();
            await LookAtThePageWhileProcessingAsync(url, client, running);
            await running;
            TestContext.Out.WriteLine(ProcessCommand.Summary(service.Pipeline.Metrics, TimeSpan.Zero));
            bool trained;
            using (var lease = service.Embedder.Acquire())
            {
                trained = ((EncoderAdapter)lease.Embedder).IsTrained;
                TestContext.Out.WriteLine($"encoder: {lease.Embedder.ModelDescription}; trained on {((EncoderAdapter)lease.Embedder).TrainingData}; flip average {options.Encoder.FlipAverage}");
            }

            var inA = (await client.GetFromJsonAsync<SightingJson[]>(new Uri("/api/sightings?camera=plaza-a&limit=1000", UriKind.Relative)))!;
            var inB = (await client.GetFromJsonAsync<SightingJson[]>(new Uri("/api/sightings?camera=plaza-b&limit=1000", UriKind.Relative)))!;
            int evaluable = 0, first = 0;
            foreach (var s in inA)
            {
                var counterparts = inB.Where(x => IsCounterpart(s, x)).Select(x => x.Id).ToHashSet();
                if (counterparts.Count == 0)
                {
                    continue;
                }

                evaluable++;
                var hits = (await client.GetFromJsonAsync<SightingJson[]>(
                    new Uri($"/api/sightings/{s.Id}/where-else?k=5&cameras=plaza-b&minScore=-1", UriKind.Relative)))!;
                var ok = hits.Length > 0 && counterparts.Contains(hits[0].Id);
                if (ok)
                {
                    first++;
                }

                TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"  A track {s.Track}: {(s.LastSeen - s.FirstSeen).TotalSeconds:0.0} s, {s.Samples.Length} samples -> {(ok ? "counterpart first" : "missed")} " +
                    $"(top score {(hits.Length > 0 ? hits[0].Score : null):0.000}, counterparts {counterparts.Count})"));
            }

            var rate = evaluable == 0 ? 0 : (double)first / evaluable;
            TestContext.Out.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"end-to-end: {inA.Length} sightings in A, {inB.Length} in B; {evaluable} of A have a counterpart in B; " +
                $"where-else puts it first for {first} ({rate:P1})"));
            Assert.That(evaluable, Is.GreaterThanOrEqualTo(5), "too few people of A were found again in B to judge");
            // The service's default is the shipped trained model: 85.7% here (24 of 28), with and without flip
            // averaging. The untrained head (REID_ENCODER_MODEL=untrained) measured 50-64%; its floor still lies far
            // above chance (1 in ~20 sightings of B).
            if (Environment.GetEnvironmentVariable("REID_ENCODER_MODEL") is null)
            {
                Assert.That(trained, Is.True, "the service's default encoder should be the shipped trained model");
            }

            Assert.That(rate, Is.GreaterThanOrEqualTo(trained ? 0.70 : 0.40));
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>B overlaps A's time shifted by the offset, and its box centre mirrors A's at the shared times.</summary>
    internal static bool IsCounterpart(SightingJson a, SightingJson b)
    {
        var offset = SampleCameras.Offset;
        var start = Max(a.FirstSeen + offset, b.FirstSeen);
        var end = Min(a.LastSeen + offset, b.LastSeen);
        if (end < start)
        {
            return false;
        }

        var distances = new List<double>();
        foreach (var sa in a.Samples)
        {
            var t = sa.Time + offset;
            if (t < b.FirstSeen || t > b.LastSeen || Interpolate(b.Samples, t) is not { } pb)
            {
                continue;
            }

            var (ax, ay) = (Cx(sa.Box) / 768, Cy(sa.Box) / 576);
            var (bx, by) = (1 - pb.X / SampleCameras.BWidth, pb.Y / SampleCameras.BHeight);
            distances.Add(Math.Sqrt((ax - bx) * (ax - bx) + (ay - by) * (ay - by)));
        }

        return distances.Count > 0 && distances.Average() < 0.08;
    }

    private static (double X, double Y)? Interpolate(SampleJson[] samples, DateTimeOffset t)
    {
        var ordered = samples.OrderBy(s => s.Time).ToList();
        for (var i = 0; i < ordered.Count; i++)
        {
            if (ordered[i].Time >= t)
            {
                if (i == 0)
                {
                    return (t - ordered[0].Time).TotalSeconds < 1 ? (Cx(ordered[0].Box), Cy(ordered[0].Box)) : null;
                }

                var p = ordered[i - 1];
                var q = ordered[i];
                var f = (t - p.Time).TotalSeconds / Math.Max(1e-6, (q.Time - p.Time).TotalSeconds);
                return (Cx(p.Box) + f * (Cx(q.Box) - Cx(p.Box)), Cy(p.Box) + f * (Cy(q.Box) - Cy(p.Box)));
            }
        }

        var last = ordered[^1];
        return (t - last.Time).TotalSeconds < 1 ? (Cx(last.Box), Cy(last.Box)) : null;
    }

    private static double Cx(float[] box) => box[0] + box[2] / 2;

    private static double Cy(float[] box) => box[1] + box[3] / 2;

    private static DateTimeOffset Max(DateTimeOffset x, DateTimeOffset y) => x > y ? x : y;

    private static DateTimeOffset Min(DateTimeOffset x, DateTimeOffset y) => x < y ? x : y;
}
