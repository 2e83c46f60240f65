using System.Numerics.Tensors;

namespace ReId.Search;

/// <summary>Checks input before anything is stored, with messages naming what was wrong.</summary>
internal static class Validation
{
    public static float[] NormalisedEmbedding(ReadOnlySpan<float> embedding, string what)
    {
        if (embedding.Length != ReId.Search.Sighting.Dimension)
        {
            throw new ArgumentException($"{what}: the embedding has {embedding.Length} values; {ReId.Search.Sighting.Dimension} are expected.");
        }

        for (var i = 0; i < embedding.Length; i++)
        {
            if (!float.IsFinite(embedding[i]))
            {
                throw new ArgumentException($"{what}: embedding value {i} is {embedding[i]}; every value must be a finite number.");
            }
        }

        var norm = TensorPrimitives.Norm(embedding);
        if (!(norm > 1e-12f) || !float.IsFinite(norm))
        {
            throw new ArgumentException($"{what}: the embedding has no direction (norm {norm}); it cannot be compared.");
        }

        var result = new float[ReId.Search.Sighting.Dimension];
        TensorPrimitives.Divide(embedding, norm, result);
        return result;
    }

    public static void ModelVersion(string? modelVersion, string what)
    {
        if (string.IsNullOrWhiteSpace(modelVersion))
        {
            throw new ArgumentException($"{what}: the model version is empty; name the encoder model version of the embedding.");
        }
    }

    public static Sighting CheckedSighting(Sighting s)
    {
        ArgumentNullException.ThrowIfNull(s);
        if (s.Id == Guid.Empty)
        {
            throw new ArgumentException("A sighting has an empty id; give each sighting a new Guid.");
        }

        var what = $"sighting {s.Id}";
        if (string.IsNullOrWhiteSpace(s.Camera))
        {
            throw new ArgumentException($"{what}: the camera id is empty.");
        }

        ModelVersion(s.ModelVersion, what);
        if (s.LastSeen < s.FirstSeen)
        {
            throw new ArgumentException($"{what}: LastSeen {s.LastSeen:O} is before FirstSeen {s.FirstSeen:O}.");
        }

        ArgumentNullException.ThrowIfNull(s.Embedding, nameof(s.Embedding));
        var normalised = NormalisedEmbedding(s.Embedding, what);
        ArgumentNullException.ThrowIfNull(s.Samples, nameof(s.Samples));
        foreach (var sample in s.Samples)
        {
            var b = sample.Box;
            if (!float.IsFinite(b.X) || !float.IsFinite(b.Y) || !float.IsFinite(b.Width) || !float.IsFinite(b.Height) || b.Width < 0 || b.Height < 0)
            {
                throw new ArgumentException($"{what}: sample box {b} is not a finite box with non-negative size.");
            }
        }

        if (s.Thumbnail is { Length: 0 })
        {
            throw new ArgumentException($"{what}: the thumbnail is empty; pass null for no thumbnail.");
        }

        return s with { Embedding = normalised };
    }

    public static IReadOnlyList<Sighting> Batch(IReadOnlyList<Sighting> sightings)
    {
        ArgumentNullException.ThrowIfNull(sightings);
        var result = new Sighting[sightings.Count];
        var ids = new HashSet<Guid>();
        for (var i = 0; i < sightings.Count; i++)
        {
            result[i] = CheckedSighting(sightings[i]);
            if (!ids.Add(result[i].Id))
            {
                throw new ArgumentException($"sighting {result[i].Id} appears twice in one batch.");
            }
        }

        return result;
    }

    public static SightingQuery Query(SightingQuery q)
    {
        ArgumentNullException.ThrowIfNull(q);
        ModelVersion(q.ModelVersion, "query");
        ArgumentNullException.ThrowIfNull(q.Embedding, nameof(q.Embedding));
        var normalised = NormalisedEmbedding(q.Embedding, "query");
        if (q.K is < 1 or > 10_000)
        {
            throw new ArgumentException($"query: K is {q.K}; it must be between 1 and 10000.");
        }

        if (!float.IsFinite(q.MinSimilarity) || q.MinSimilarity is < -1f or > 1f)
        {
            throw new ArgumentException($"query: MinSimilarity is {q.MinSimilarity}; it must be between -1 and 1.");
        }

        TimeRange(q.From, q.To);
        return q with { Embedding = normalised };
    }

    public static ModelSightingsQuery ByModel(ModelSightingsQuery q)
    {
        ArgumentNullException.ThrowIfNull(q);
        ModelVersion(q.ModelVersion, "listing by model version");
        if (q.Limit is < 1 or > 10_000)
        {
            throw new ArgumentException($"listing by model version: Limit {q.Limit} must be 1 to 10000.");
        }

        return q;
    }

    public static SightingListQuery List(SightingListQuery q)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (q.ModelVersion is not null)
        {
            ModelVersion(q.ModelVersion, "listing");
        }

        Limit(q.Limit, "listing");
        if (q.Cameras?.Any(string.IsNullOrWhiteSpace) == true)
        {
            throw new ArgumentException("listing: a camera id in Cameras is empty.");
        }

        TimeRange(q.From, q.To);
        return q;
    }

    public static IdentityListQuery Identities(IdentityListQuery q)
    {
        ArgumentNullException.ThrowIfNull(q);
        if (q.ModelVersion is not null)
        {
            ModelVersion(q.ModelVersion, "identity listing");
        }

        Limit(q.Limit, "identity listing");
        if (q.MinCameras < 1)
        {
            throw new ArgumentException($"identity listing: MinCameras is {q.MinCameras}; it must be at least 1.");
        }

        return q;
    }

    public static void TimeRange(DateTimeOffset? from, DateTimeOffset? to)
    {
        if (from is { } f && to is { } t && t < f)
        {
            throw new ArgumentException($"the time range is inverted: From {f:O} is after To {t:O}.");
        }
    }

    private static void Limit(int limit, string what)
    {
        if (limit is < 1 or > SightingListQuery.MaxLimit)
        {
            throw new ArgumentException($"{what}: Limit is {limit}; it must be between 1 and {SightingListQuery.MaxLimit}.");
        }
    }

    public static IReadOnlyList<KeptCrop> Crops(Guid sightingId, IReadOnlyList<KeptCrop> crops)
    {
        ArgumentNullException.ThrowIfNull(crops);
        for (var i = 0; i < crops.Count; i++)
        {
            if (crops[i]?.Bgr is not { Length: KeptCrop.ByteLength })
            {
                throw new ArgumentException(
                    $"sighting {sightingId}: crop {i} has {crops[i]?.Bgr?.Length ?? 0} bytes; " +
                    $"{KeptCrop.ByteLength} ({KeptCrop.Width}x{KeptCrop.Height} BGR24) are expected.");
            }
        }

        return crops;
    }
}
