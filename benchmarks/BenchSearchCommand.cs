using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Numerics.Tensors;
using System.Text.Json;
using ReId.Search;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench search</c>: fills a sighting store with synthetic sightings over many cameras and days, then
/// measures inserts per second, query latency with and without a camera + time filter, resident memory per
/// stored sighting and recall@10 against an exact brute-force scan. Ends with one JSON line.
/// </summary>
internal static class BenchSearchCommand
{
    private const string Model = "bench-synthetic-v1";
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static Command Create()
    {
        var sightings = new Option<int>("--sightings") { Description = "How many synthetic sightings to store.", DefaultValueFactory = _ => 100_000 };
        var store = new Option<string>("--store") { Description = "embedded or qdrant.", DefaultValueFactory = _ => "embedded" };
        store.AcceptOnlyFromAmong("embedded", "qdrant");
        var cameras = new Option<int>("--cameras") { Description = "How many cameras.", DefaultValueFactory = _ => 100 };
        var days = new Option<int>("--days") { Description = "Days the sightings span.", DefaultValueFactory = _ => 30 };
        var queries = new Option<int>("--queries") { Description = "Queries per kind (unfiltered, camera + time).", DefaultValueFactory = _ => 500 };
        var thumbnail = new Option<int>("--thumbnail-bytes") { Description = "Bytes of each synthetic thumbnail.", DefaultValueFactory = _ => 2048 };
        var directory = new Option<string?>("--dir") { Description = "Where the embedded store goes (default: a temporary folder, deleted afterwards)." };
        var qdrantUrl = new Option<string?>("--qdrant-url") { Description = "Qdrant gRPC address (default: QDRANT_URL, else http://localhost:6334)." };

        var command = new Command("search", "Measure the sighting store: inserts/s, query latency, memory per sighting, recall@10.")
        {
            sightings, store, cameras, days, queries, thumbnail, directory, qdrantUrl,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new Settings(parse.GetValue(sightings), parse.GetValue(store)!, parse.GetValue(cameras), parse.GetValue(days),
                parse.GetValue(queries), parse.GetValue(thumbnail), parse.GetValue(directory), parse.GetValue(qdrantUrl));
            if (settings.Sightings < 100 || settings.Cameras < 1 || settings.Days < 1 || settings.Queries < 10 || settings.ThumbnailBytes < 0)
            {
                await Console.Error.WriteLineAsync("bench search: --sightings must be at least 100, --cameras and --days at least 1, --queries at least 10, --thumbnail-bytes not negative.").ConfigureAwait(false);
                return 2;
            }

            try
            {
                await RunAsync(settings, cancellationToken).ConfigureAwait(false);
                return 0;
            }
            catch (SightingStoreException e)
            {
                await Console.Error.WriteLineAsync($"bench search: {e.Message}").ConfigureAwait(false);
                return 1;
            }
        });
        return command;
    }

    private sealed record Settings(int Sightings, string Store, int Cameras, int Days, int Queries, int ThumbnailBytes, string? Directory, string? QdrantUrl);

    private static async Task RunAsync(Settings s, CancellationToken cancellationToken)
    {
        var data = new SyntheticSightings(s.Sightings, s.Cameras, s.Days, seed: 20260101);
        var temporary = s.Directory is null && s.Store == "embedded";
        var directory = s.Directory ?? Path.Combine(Path.GetTempPath(), "reid-bench-search-" + Guid.NewGuid().ToString("N"));
        var rssBefore = ResidentBytes();
        ISightingStore? store = s.Store == "embedded"
            ? EmbeddedSightingStore.Open(directory)
            : QdrantSightingStore.Connect(new QdrantStoreOptions
            {
                Url = new Uri(s.QdrantUrl ?? Environment.GetEnvironmentVariable("QDRANT_URL") ?? "http://localhost:6334"),
                ApiKey = Environment.GetEnvironmentVariable("QDRANT_API_KEY"),
                CollectionPrefix = "reid_bench_" + Guid.NewGuid().ToString("N")[..8],
                SideStorePath = Path.Combine(directory, "qdrant-side.db"),
            });
        try
        {
            Console.WriteLine($"bench search: {s.Sightings:N0} sightings, {s.Cameras} cameras, {s.Days} days, store {s.Store}");
            var thumbnail = new byte[s.ThumbnailBytes];
            new Random(1).NextBytes(thumbnail);
            var insert = Stopwatch.StartNew();
            const int batch = 1000;
            for (var i = 0; i < s.Sightings; i += batch)
            {
                var list = new List<Sighting>(batch);
                for (var j = i; j < Math.Min(s.Sightings, i + batch); j++)
                {
                    list.Add(data.Make(j, s.ThumbnailBytes > 0 ? thumbnail : null));
                }

                await store.AddAsync(list, cancellationToken).ConfigureAwait(false);
                if ((i / batch) % 100 == 99)
                {
                    Console.Error.WriteLine($"  stored {i + batch:N0} ({(i + batch) / insert.Elapsed.TotalSeconds:N0}/s)");
                }
            }

            insert.Stop();
            var insertPerSecond = s.Sightings / insert.Elapsed.TotalSeconds;
            var bytesPerSighting = (double)(ResidentBytes() - rssBefore) / s.Sightings;
            Console.WriteLine($"inserts: {insertPerSecond:N0}/s ({insert.Elapsed.TotalSeconds:N1} s, batches of {batch})");
            Console.WriteLine($"resident memory per sighting: {bytesPerSighting:N0} bytes ({bytesPerSighting - Sighting.Dimension * sizeof(float):N0} beyond the {Sighting.Dimension * sizeof(float)}-byte vector)");

            var random = new Random(7);
            var unfiltered = new List<SightingQuery>();
            var filtered = new List<SightingQuery>();
            for (var q = 0; q < s.Queries; q++)
            {
                var person = data.PersonOf(random.Next(s.Sightings));
                unfiltered.Add(new SightingQuery(Model, data.View(person, random)) { K = 10 });
                var from = Start.AddDays(random.NextDouble() * (s.Days - 1));
                filtered.Add(new SightingQuery(Model, data.View(person, random))
                {
                    K = 10, Cameras = [SyntheticSightings.CameraName(random.Next(s.Cameras))], From = from, To = from.AddDays(1),
                });
            }

            // Warm up code paths before timing.
            foreach (var q in unfiltered.Take(5).Concat(filtered.Take(5)))
            {
                await store.SearchAsync(q, cancellationToken).ConfigureAwait(false);
            }

            var (u50, u99, uCpu, unfilteredHits) = await TimeAsync(store, unfiltered, cancellationToken).ConfigureAwait(false);
            var (f50, f99, fCpu, filteredHits) = await TimeAsync(store, filtered, cancellationToken).ConfigureAwait(false);
            Console.WriteLine($"query, no filter:           p50 {u50:F2} ms, p99 {u99:F2} ms, mean cpu {uCpu:F2} ms (k=10)");
            Console.WriteLine($"query, camera + 1-day time: p50 {f50:F2} ms, p99 {f99:F2} ms, mean cpu {fCpu:F2} ms (k=10)");

            var checkedQueries = Math.Min(50, s.Queries);
            var recall = data.Recall(
                [.. unfiltered.Take(checkedQueries), .. filtered.Take(checkedQueries)],
                [.. unfilteredHits.Take(checkedQueries), .. filteredHits.Take(checkedQueries)]);
            Console.WriteLine($"recall@10 against brute force over {2 * checkedQueries} queries: {recall:F4}");

            var json = JsonSerializer.Serialize(new Dictionary<string, object>
            {
                ["bench"] = "search",
                ["store"] = s.Store,
                ["sightings"] = s.Sightings,
                ["cameras"] = s.Cameras,
                ["days"] = s.Days,
                ["insert_per_s"] = Math.Round(insertPerSecond),
                ["query_p50_ms"] = Math.Round(f50, 3),
                ["query_p99_ms"] = Math.Round(f99, 3),
                ["query_filter"] = "camera+1day",
                ["query_unfiltered_p50_ms"] = Math.Round(u50, 3),
                ["query_unfiltered_p99_ms"] = Math.Round(u99, 3),
                ["query_cpu_ms"] = Math.Round(fCpu, 3),
                ["query_unfiltered_cpu_ms"] = Math.Round(uCpu, 3),
                ["bytes_per_sighting"] = Math.Round(bytesPerSighting),
                ["bytes_per_sighting_beyond_vector"] = Math.Round(bytesPerSighting - Sighting.Dimension * sizeof(float)),
                ["recall_at_10"] = Math.Round(recall, 4),
                ["reopen_s"] = Math.Round(await ReopenSecondsAsync(store, s, directory).ConfigureAwait(false), 2),
            });
            store = null;
            Console.WriteLine(json);
        }
        finally
        {
            if (store is not null)
            {
                await store.DisposeAsync().ConfigureAwait(false);
            }

            if (temporary)
            {
                Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
                System.IO.Directory.Delete(directory, recursive: true);
            }
        }
    }

    /// <summary>Closes the embedded store and times opening it again (reading every row into memory).</summary>
    private static async Task<double> ReopenSecondsAsync(ISightingStore store, Settings s, string directory)
    {
        await store.DisposeAsync().ConfigureAwait(false);
        if (s.Store != "embedded")
        {
            return 0;
        }

        var watch = Stopwatch.StartNew();
        await using var reopened = EmbeddedSightingStore.Open(directory);
        var seconds = watch.Elapsed.TotalSeconds;
        Console.WriteLine($"reopen: {seconds:F2} s for {await reopened.CountAsync().ConfigureAwait(false):N0} sightings");
        return seconds;
    }

    private static async Task<(double P50, double P99, double CpuMs, List<IReadOnlyList<SightingHit>> Hits)> TimeAsync(
        ISightingStore store, List<SightingQuery> queries, CancellationToken cancellationToken)
    {
        // CPU time too: on a shared machine wall-clock latency also measures the neighbours.
        using var self = Process.GetCurrentProcess();
        var cpuBefore = self.TotalProcessorTime;
        var times = new double[queries.Count];
        var hits = new List<IReadOnlyList<SightingHit>>(queries.Count);
        for (var i = 0; i < queries.Count; i++)
        {
            var t = Stopwatch.GetTimestamp();
            hits.Add(await store.SearchAsync(queries[i], cancellationToken).ConfigureAwait(false));
            times[i] = Stopwatch.GetElapsedTime(t).TotalMilliseconds;
        }

        self.Refresh();
        var cpuMs = (self.TotalProcessorTime - cpuBefore).TotalMilliseconds / queries.Count;
        Array.Sort(times);
        return (Percentile(times, 0.50), Percentile(times, 0.99), cpuMs, hits);
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    private static long ResidentBytes()
    {
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        GC.WaitForPendingFinalizers();
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Forced, blocking: true, compacting: true);
        using var self = Process.GetCurrentProcess();
        return self.WorkingSet64;
    }

    /// <summary>
    /// Sighting i is a pure function of i (a person, a camera, a time in order, a noisy view of the person), so the
    /// brute-force check can regenerate every vector instead of holding a second copy in memory.
    /// </summary>
    private sealed class SyntheticSightings
    {
        private const int Dim = ReId.Search.Sighting.Dimension;
        private const float Noise = 0.35f;
        private readonly float[] _persons;
        private readonly int _personCount;
        private readonly int _count;
        private readonly int _cameras;
        private readonly double _spacingMs;
        private readonly ulong _seed;

        public SyntheticSightings(int count, int cameras, int days, ulong seed)
        {
            _count = count;
            _cameras = cameras;
            _seed = seed;
            _personCount = Math.Max(10, count / 20);
            _spacingMs = days * 86_400_000.0 / count;
            _persons = new float[_personCount * Dim];
            var rng = new SplitMix(seed);
            for (var p = 0; p < _personCount; p++)
            {
                var v = _persons.AsSpan(p * Dim, Dim);
                for (var i = 0; i < v.Length; i++)
                {
                    v[i] = rng.Gaussian();
                }

                TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            }
        }

        public static string CameraName(int index) => "cam" + index.ToString("D3", CultureInfo.InvariantCulture);

        public int PersonOf(int i) => (int)(new SplitMix(_seed ^ ((ulong)i * 0x9E3779B97F4A7C15UL)).Next() % (ulong)_personCount);

        public float[] View(int person, Random random)
        {
            var v = new float[Dim];
            var scale = Noise / MathF.Sqrt(Dim);
            for (var d = 0; d < v.Length; d++)
            {
                v[d] = _persons[person * Dim + d] + scale * (float)(Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble()));
            }

            TensorPrimitives.Divide(v, TensorPrimitives.Norm(v), v);
            return v;
        }

        public void Embedding(int i, Span<float> into)
        {
            var rng = new SplitMix(_seed ^ ((ulong)i * 0x9E3779B97F4A7C15UL));
            var person = (int)(rng.Next() % (ulong)_personCount);
            var scale = Noise / MathF.Sqrt(Dim);
            for (var d = 0; d < into.Length; d++)
            {
                into[d] = _persons[person * Dim + d] + scale * rng.Gaussian();
            }

            TensorPrimitives.Divide(into, TensorPrimitives.Norm(into), into);
        }

        public (string Camera, DateTimeOffset First, DateTimeOffset Last) Meta(int i)
        {
            var rng = new SplitMix(~_seed ^ ((ulong)i * 0xD1B54A32D192ED03UL));
            var first = Start.AddMilliseconds(i * _spacingMs);
            return (CameraName((int)(rng.Next() % (ulong)_cameras)), first, first.AddSeconds(5 + rng.Next() % 55));
        }

        public Sighting Make(int i, byte[]? thumbnail)
        {
            var embedding = new float[Dim];
            Embedding(i, embedding);
            var (camera, first, last) = Meta(i);
            SightingSample[] samples = [new(first, new Box(100, 50, 60, 160)), new(last, new Box(120, 52, 60, 158))];
            return new Sighting(IdOf(i), camera, i, first, last, Model, embedding, samples, thumbnail);
        }

        /// <summary>Mean fraction of the exact top 10 (brute force, same filters) that the store returned.</summary>
        public double Recall(List<SightingQuery> queries, List<IReadOnlyList<SightingHit>> found)
        {
            var best = queries.Select(q => new PriorityQueue<int, float>()).ToArray();
            var vector = new float[Dim];
            for (var i = 0; i < _count; i++)
            {
                Embedding(i, vector);
                var (camera, first, last) = Meta(i);
                for (var q = 0; q < queries.Count; q++)
                {
                    var query = queries[q];
                    if ((query.Cameras is not null && !query.Cameras.Contains(camera)) || (query.From is { } f && last < f) || (query.To is { } t && first > t))
                    {
                        continue;
                    }

                    var score = TensorPrimitives.Dot(vector, query.Embedding);
                    if (best[q].Count < query.K)
                    {
                        best[q].Enqueue(i, score);
                    }
                    else if (best[q].TryPeek(out _, out var worst) && score > worst)
                    {
                        best[q].DequeueEnqueue(i, score);
                    }
                }
            }

            double total = 0;
            for (var q = 0; q < queries.Count; q++)
            {
                var exact = best[q].UnorderedItems.Select(e => IdOf(e.Element)).ToHashSet();
                total += exact.Count == 0 ? 1 : (double)found[q].Count(h => exact.Contains(h.SightingId)) / exact.Count;
            }

            return total / queries.Count;
        }

        private static Guid IdOf(int i)
        {
            // Time ordered like the version-7 ids a live pipeline gives its sightings.
            Span<byte> bytes = stackalloc byte[16];
            System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(bytes, (long)i + 1);
            bytes[15] = 0xBE;
            return new Guid(bytes, bigEndian: true);
        }
    }

    /// <summary>SplitMix64: a tiny, seedable generator, so each sighting's numbers depend only on its index.</summary>
    private struct SplitMix(ulong state)
    {
        private ulong _state = state;

        public ulong Next()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public float Gaussian()
        {
            var u1 = ((Next() >> 11) + 1) * (1.0 / 9007199254740993.0);
            var u2 = (Next() >> 11) * (1.0 / 9007199254740992.0);
            return (float)(Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
    }
}
