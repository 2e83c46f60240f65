using System.Numerics.Tensors;

namespace ReId.Search;

/// <summary>Filters of a "where else did this person appear?" query.</summary>
public sealed record WhereElseOptions
{
    /// <summary>How many matches at most, over all cameras (1-10,000).</summary>
    public int K { get; init; } = 20;

    /// <summary>Lowest cosine similarity of a match.</summary>
    public float MinSimilarity { get; init; } = 0.5f;

    /// <summary>Only these cameras, when not null.</summary>
    public IReadOnlyCollection<string>? Cameras { get; init; }

    /// <summary>Only sightings that end at or after this time.</summary>
    public DateTimeOffset? From { get; init; }

    /// <summary>Only sightings that start at or before this time.</summary>
    public DateTimeOffset? To { get; init; }

    /// <summary>Also look in the query sighting's own camera at other times (never its own track).</summary>
    public bool IncludeSameCamera { get; init; }
}

/// <summary>One match of a where-else query. The thumbnail is fetched with <see cref="ISightingStore.GetThumbnailAsync"/>
/// by <see cref="SightingId"/> when <see cref="HasThumbnail"/>.</summary>
public sealed record WhereElseMatch(
    Guid SightingId, string Camera, long Track, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, float Score, Box Box,
    Guid? IdentityId, bool HasThumbnail);

/// <summary>The matches in one camera, in time order.</summary>
public sealed record CameraMatches(string Camera, IReadOnlyList<WhereElseMatch> Matches);

/// <summary>A where-else answer: cameras ordered by their first match in time.</summary>
public sealed record WhereElseResult(string ModelVersion, IReadOnlyList<CameraMatches> Cameras)
{
    /// <summary>All matches, in time order.</summary>
    public IEnumerable<WhereElseMatch> All => Cameras.SelectMany(c => c.Matches).OrderBy(m => m.FirstSeen);
}

/// <summary>"Where else did this person appear?", from a stored sighting or from caller-computed embeddings.</summary>
public sealed class WhereElseSearch(ISightingStore store)
{
    private readonly ISightingStore _store = store ?? throw new ArgumentNullException(nameof(store));

    /// <summary>Best matches of a stored sighting in other cameras (and, on request, in its own camera at other
    /// times), never its own track; compared only with sightings of the same model version.</summary>
    /// <exception cref="SightingNotFoundException">The id is unknown.</exception>
    public async Task<WhereElseResult> FromSightingAsync(Guid sightingId, WhereElseOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validation.TimeRange(options.From, options.To);
        var sighting = await _store.GetAsync(sightingId, cancellationToken).ConfigureAwait(false)
                       ?? throw new SightingNotFoundException(sightingId);
        var query = ToQuery(sighting.ModelVersion, sighting.Embedding, options) with
        {
            ExcludeCamera = options.IncludeSameCamera ? null : sighting.Camera,
            ExcludeTrack = (sighting.Camera, sighting.Track),
        };
        return await RunAsync(query, sightingId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Best matches, in every camera, of the person shown by one or more embeddings (e.g. of uploaded
    /// images, computed by the caller with the encoder of <paramref name="modelVersion"/>); they are averaged
    /// after normalisation and the mean is normalised again.</summary>
    public Task<WhereElseResult> FromEmbeddingsAsync(string modelVersion, IReadOnlyList<float[]> embeddings, WhereElseOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validation.ModelVersion(modelVersion, "where-else query");
        Validation.TimeRange(options.From, options.To);
        var mean = MeanEmbedding(embeddings);
        return RunAsync(ToQuery(modelVersion, mean, options), null, cancellationToken);
    }

    /// <summary>The normalised mean of normalised embeddings.</summary>
    /// <exception cref="ArgumentException">The list is empty or an embedding is not valid.</exception>
    public static float[] MeanEmbedding(IReadOnlyList<float[]> embeddings)
    {
        ArgumentNullException.ThrowIfNull(embeddings);
        if (embeddings.Count == 0)
        {
            throw new ArgumentException("No embedding was given: pass at least one (one per uploaded image).", nameof(embeddings));
        }

        var sum = new float[Sighting.Dimension];
        for (var i = 0; i < embeddings.Count; i++)
        {
            if (embeddings[i] is null)
            {
                throw new ArgumentException($"Embedding {i} is null.", nameof(embeddings));
            }

            TensorPrimitives.Add(sum, Validation.NormalisedEmbedding(embeddings[i], $"embedding {i}"), sum);
        }

        return Validation.NormalisedEmbedding(sum, "mean of the embeddings");
    }

    private static SightingQuery ToQuery(string modelVersion, float[] embedding, WhereElseOptions o) => new(modelVersion, embedding)
    {
        K = o.K,
        MinSimilarity = o.MinSimilarity,
        Cameras = o.Cameras,
        From = o.From,
        To = o.To,
    };

    private async Task<WhereElseResult> RunAsync(SightingQuery query, Guid? self, CancellationToken cancellationToken)
    {
        var hits = await _store.SearchAsync(query, cancellationToken).ConfigureAwait(false);
        var groups = hits
            .Where(h => h.SightingId != self)
            .Select(h => new WhereElseMatch(h.SightingId, h.Camera, h.Track, h.FirstSeen, h.LastSeen, h.Score, h.Box, h.IdentityId, h.HasThumbnail))
            .GroupBy(m => m.Camera, StringComparer.Ordinal)
            .Select(g => new CameraMatches(g.Key, g.OrderBy(m => m.FirstSeen).ThenBy(m => m.LastSeen).ToList()))
            .OrderBy(c => c.Matches[0].FirstSeen)
            .ThenBy(c => c.Camera, StringComparer.Ordinal)
            .ToList();
        return new WhereElseResult(query.ModelVersion, groups);
    }
}
