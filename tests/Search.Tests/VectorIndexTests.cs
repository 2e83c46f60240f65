using System.Numerics.Tensors;

namespace ReId.Search.Tests;

[TestFixture]
public sealed class VectorIndexTests
{
    private const int Rows = 40_000;

    private static (VectorIndex Index, float[][] Vectors, (Guid Id, string Camera, long Track, long First, long Last)[] Meta) Build()
    {
        var syn = new Synthetic(51);
        var random = new Random(52);
        var index = new VectorIndex();
        var vectors = new float[Rows][];
        var meta = new (Guid, string, long, long, long)[Rows];
        var t0 = Synthetic.T0.ToUnixTimeMilliseconds();
        for (var i = 0; i < Rows; i++)
        {
            vectors[i] = syn.Person();

            // Mostly in time order, some late arrivals, some long tracks.
            var first = t0 + (i * 1000L) - (i % 97 == 0 ? 600_000 : 0);
            var last = first + (i % 501 == 0 ? 3_600_000 : 20_000);
            meta[i] = (Guid.CreateVersion7(), "cam" + random.Next(20), i % 50, first, last);
            index.Add(meta[i].Item1, meta[i].Item2, meta[i].Item3, first, last, vectors[i]);
        }

        return (index, vectors, meta);
    }

    [Test]
    public void Search_AgainstBruteForce_SameTopKForEveryFilterShape()
    {
        var (index, vectors, meta) = Build();
        var syn = new Synthetic(53);
        for (var i = 0; i < 3000; i += 7)
        {
            index.Remove(meta[i].Id);
        }

        var deleted = new HashSet<Guid>(Enumerable.Range(0, 3000).Where(i => i % 7 == 0).Select(i => meta[i].Id));
        var t0 = Synthetic.T0;
        SightingQuery[] queries =
        [
            new(Synthetic.Model, syn.Person()) { K = 10 },
            new(Synthetic.Model, syn.Person()) { K = 25, ExcludeCamera = "cam3", ExcludeTrack = ("cam4", 7) },
            new(Synthetic.Model, syn.Person()) { K = 10, Cameras = ["cam1", "cam5"], From = t0.AddHours(2), To = t0.AddHours(5) },
            new(Synthetic.Model, syn.Person()) { K = 10, From = t0.AddHours(1), To = t0.AddHours(1.2) },
            new(Synthetic.Model, syn.Person()) { K = 10, Cameras = ["cam2"] },
            new(Synthetic.Model, syn.Person()) { K = 5, Cameras = ["nowhere"] },
            new(Synthetic.Model, syn.Person()) { K = 10, MinSimilarity = 0.2f },
        ];

        foreach (var q in queries)
        {
            var from = q.From?.ToUnixTimeMilliseconds() ?? long.MinValue;
            var to = q.To?.ToUnixTimeMilliseconds() ?? long.MaxValue;
            var expected = Enumerable.Range(0, Rows)
                .Where(i => !deleted.Contains(meta[i].Id)
                            && (q.Cameras is null || q.Cameras.Contains(meta[i].Camera))
                            && meta[i].Camera != q.ExcludeCamera
                            && !(q.ExcludeTrack is { } et && et.Camera == meta[i].Camera && et.Track == meta[i].Track)
                            && meta[i].Last >= from && meta[i].First <= to)
                .Select(i => (meta[i].Id, Score: TensorPrimitives.Dot(vectors[i], q.Embedding)))
                .Where(x => x.Score >= q.MinSimilarity)
                .OrderByDescending(x => x.Score)
                .Take(q.K)
                .Select(x => x.Id)
                .ToList();

            var found = index.Search(q);

            Assert.That(found.Select(f => f.Id), Is.EqualTo(expected), $"query {Array.IndexOf(queries, q)}");
            Assert.That(found.Select(f => f.Score), Is.Ordered.Descending);
        }
    }
}
