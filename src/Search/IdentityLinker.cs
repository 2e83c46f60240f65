using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace ReId.Search;

/// <summary>How sightings are linked into cross-camera identities.</summary>
public sealed record LinkingOptions
{
    /// <summary>Lowest cosine similarity of a link.</summary>
    public float MinSimilarity { get; set; } = 0.7f;

    /// <summary>Candidates are sightings within this time of the new one (before its start or after its end).</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How many candidates are examined per new sighting.</summary>
    public int Candidates { get; set; } = 5;

    /// <summary>Pairs of cameras whose views overlap: one person may be seen in both at once.</summary>
    public IList<CameraPair> OverlappingCameras { get; set; } = [];

    /// <summary>Checks the values, naming the bad one.</summary>
    /// <exception cref="ArgumentException">A value is bad.</exception>
    public LinkingOptions Validated()
    {
        var errors = new OptionErrors();
        Validate(errors, "Search:Linking");
        errors.ThrowIfAny();
        return this;
    }

    internal void Validate(OptionErrors errors, string key)
    {
        errors.Check(float.IsFinite(MinSimilarity) && MinSimilarity is >= -1f and <= 1f, $"{key}:MinSimilarity", MinSimilarity, "-1 to 1 (cosine similarity)");
        errors.Check(Window > TimeSpan.Zero, $"{key}:Window", Window, "a positive time span (e.g. 00:30:00)");
        errors.Check(Candidates is >= 1 and <= 100, $"{key}:Candidates", Candidates, "1 to 100");
        for (var i = 0; i < OverlappingCameras.Count; i++)
        {
            var pair = OverlappingCameras[i];
            errors.Check(!string.IsNullOrWhiteSpace(pair?.A) && !string.IsNullOrWhiteSpace(pair.B) && pair.A != pair.B,
                $"{key}:OverlappingCameras:{i}", pair is null ? null : $"{pair.A},{pair.B}", "two different camera ids A and B");
        }
    }
}

/// <summary>Two cameras whose views overlap (key Search:Linking:OverlappingCameras, entries { "A": id, "B": id }).</summary>
public sealed class CameraPair
{
    /// <summary>One camera id.</summary>
    public string A { get; set; } = "";

    /// <summary>The other camera id.</summary>
    public string B { get; set; } = "";
}

/// <summary>A cross-camera identity: its sightings in time order.</summary>
public sealed record Identity(Guid Id, IReadOnlyList<Sighting> Sightings);

/// <summary>
/// Links sightings online into identities. A new sighting joins the identity of a candidate from another camera
/// when (1) their similarity reaches the threshold, (2) they are each other's best match within the time window
/// (the candidate's best match in the new sighting's camera is the new sighting), and (3) the joined identity would
/// not be in two places at once: no member overlaps the new sighting in time in a camera that does not overlap
/// its camera (nor in its own camera under another track). Otherwise it starts a new identity.
/// Users confirm (merge) or reject (split) links; their decisions are stored for retraining, and linking never
/// merges two existing identities on its own, so a rejection stays in force.
/// </summary>
public sealed partial class IdentityLinker
{
    private readonly ISightingStore _store;
    private readonly LinkingOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly HashSet<(string, string)> _overlapping = [];

    /// <summary>Creates a linker over a store.</summary>
    public IdentityLinker(ISightingStore store, LinkingOptions options, TimeProvider timeProvider, ILogger<IdentityLinker>? logger = null)
    {
        _store = store ?? throw new ArgumentNullException(nameof(store));
        _options = (options ?? throw new ArgumentNullException(nameof(options))).Validated();
        _time = timeProvider ?? throw new ArgumentNullException(nameof(timeProvider));
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        foreach (var (a, b) in _options.OverlappingCameras.Select(p => (p.A, p.B)))
        {
            _overlapping.Add((a, b));
            _overlapping.Add((b, a));
        }
    }

    /// <summary>Links a stored sighting; returns its identity id.</summary>
    /// <exception cref="SightingNotFoundException">The sighting is not stored.</exception>
    public async Task<Guid> LinkAsync(Guid sightingId, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var s = await _store.GetAsync(sightingId, cancellationToken).ConfigureAwait(false) ?? throw new SightingNotFoundException(sightingId);
            if (s.IdentityId is { } existing)
            {
                return existing;
            }

            var w = _options.Window;
            var candidates = await _store.SearchAsync(new SightingQuery(s.ModelVersion, s.Embedding)
            {
                K = _options.Candidates,
                MinSimilarity = _options.MinSimilarity,
                From = s.FirstSeen - w,
                To = s.LastSeen + w,
                ExcludeCamera = s.Camera,
            }, cancellationToken).ConfigureAwait(false);

            var rejected = candidates.Count == 0 ? [] : await RejectedPartnersAsync(cancellationToken).ConfigureAwait(false);
            foreach (var c in candidates)
            {
                if (!await IsMutualBestAsync(s, c, cancellationToken).ConfigureAwait(false))
                {
                    continue;
                }

                var members = c.IdentityId is { } id
                    ? await _store.GetIdentitySightingsAsync(id, cancellationToken).ConfigureAwait(false)
                    : [];
                if (members.Any(m => Conflicts(m.Camera, m.Track, m.FirstSeen, m.LastSeen, s) || rejected.Contains((m.Id, s.Id))) ||
                    Conflicts(c.Camera, c.Track, c.FirstSeen, c.LastSeen, s) || rejected.Contains((c.SightingId, s.Id)))
                {
                    continue;
                }

                var identity = c.IdentityId ?? Guid.CreateVersion7(_time.GetUtcNow());
                await _store.SetIdentityAsync(c.IdentityId is null ? [c.SightingId, s.Id] : [s.Id], identity, cancellationToken).ConfigureAwait(false);
                LogLinked(s.Id, s.Camera, c.SightingId, c.Camera, c.Score, identity);
                return identity;
            }

            var fresh = Guid.CreateVersion7(_time.GetUtcNow());
            await _store.SetIdentityAsync([s.Id], fresh, cancellationToken).ConfigureAwait(false);
            return fresh;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A user says both sightings show the same person: their identities are merged (overriding the
    /// automatic decision) and the decision is stored. Returns the merged identity.</summary>
    public async Task<Guid> ConfirmAsync(Guid sightingA, Guid sightingB, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (a, b) = await PairAsync(sightingA, sightingB, cancellationToken).ConfigureAwait(false);
            await _store.AddFeedbackAsync(new LinkFeedback(a.Id, b.Id, LinkDecision.Confirmed, _time.GetUtcNow(), a.ModelVersion), cancellationToken).ConfigureAwait(false);
            var identity = a.IdentityId ?? b.IdentityId ?? Guid.CreateVersion7(_time.GetUtcNow());
            var move = new List<Guid> { a.Id, b.Id };
            if (b.IdentityId is { } other && other != identity)
            {
                move.AddRange((await _store.GetIdentitySightingsAsync(other, cancellationToken).ConfigureAwait(false)).Select(m => m.Id));
            }

            await _store.SetIdentityAsync(move.Distinct().ToList(), identity, cancellationToken).ConfigureAwait(false);
            return identity;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>A user says the sightings show different people: when linked, <paramref name="sightingB"/> leaves
    /// the identity for a new one of its own; the decision is stored and keeps them apart from then on.
    /// Returns the identity of <paramref name="sightingB"/>.</summary>
    public async Task<Guid> RejectAsync(Guid sightingA, Guid sightingB, CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var (a, b) = await PairAsync(sightingA, sightingB, cancellationToken).ConfigureAwait(false);
            await _store.AddFeedbackAsync(new LinkFeedback(a.Id, b.Id, LinkDecision.Rejected, _time.GetUtcNow(), a.ModelVersion), cancellationToken).ConfigureAwait(false);
            if (a.IdentityId is not null && a.IdentityId == b.IdentityId)
            {
                var fresh = Guid.CreateVersion7(_time.GetUtcNow());
                await _store.SetIdentityAsync([b.Id], fresh, cancellationToken).ConfigureAwait(false);
                return fresh;
            }

            return b.IdentityId ?? Guid.Empty;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <summary>An identity with its sightings in time order (none when unknown or erased).</summary>
    public async Task<Identity> GetIdentityAsync(Guid identityId, CancellationToken cancellationToken = default) =>
        new(identityId, await _store.GetIdentitySightingsAsync(identityId, cancellationToken).ConfigureAwait(false));

    private async Task<(Sighting A, Sighting B)> PairAsync(Guid a, Guid b, CancellationToken cancellationToken)
    {
        if (a == b)
        {
            throw new ArgumentException($"A link needs two different sightings; both are {a}.");
        }

        var sa = await _store.GetAsync(a, cancellationToken).ConfigureAwait(false) ?? throw new SightingNotFoundException(a);
        var sb = await _store.GetAsync(b, cancellationToken).ConfigureAwait(false) ?? throw new SightingNotFoundException(b);
        if (sa.ModelVersion != sb.ModelVersion)
        {
            throw new ArgumentException($"Sightings {a} ({sa.ModelVersion}) and {b} ({sb.ModelVersion}) come from different encoder model versions and are never linked.");
        }

        return (sa, sb);
    }

    private async Task<bool> IsMutualBestAsync(Sighting s, SightingHit c, CancellationToken cancellationToken)
    {
        var candidate = await _store.GetAsync(c.SightingId, cancellationToken).ConfigureAwait(false);
        if (candidate is null)
        {
            return false;
        }

        var w = _options.Window;
        var back = await _store.SearchAsync(new SightingQuery(s.ModelVersion, candidate.Embedding)
        {
            K = 1,
            Cameras = [s.Camera],
            From = c.FirstSeen - w,
            To = c.LastSeen + w,
        }, cancellationToken).ConfigureAwait(false);
        return back.Count == 1 && back[0].SightingId == s.Id;
    }

    /// <summary>True when one person cannot be both the member and the new sighting.</summary>
    private bool Conflicts(string camera, long track, DateTimeOffset first, DateTimeOffset last, Sighting s)
    {
        var overlapInTime = first <= s.LastSeen && s.FirstSeen <= last;
        if (!overlapInTime)
        {
            return false;
        }

        return camera == s.Camera ? track != s.Track : !_overlapping.Contains((camera, s.Camera));
    }

    private async Task<HashSet<(Guid, Guid)>> RejectedPartnersAsync(CancellationToken cancellationToken)
    {
        var set = new HashSet<(Guid, Guid)>();
        foreach (var f in await _store.GetFeedbackAsync(cancellationToken).ConfigureAwait(false))
        {
            if (f.Decision == LinkDecision.Rejected)
            {
                set.Add((f.SightingA, f.SightingB));
                set.Add((f.SightingB, f.SightingA));
            }
        }

        return set;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Debug, Message = "Linked sighting {Sighting} ({Camera}) to {Other} ({OtherCamera}), similarity {Score:F3}, identity {Identity}")]
    private partial void LogLinked(Guid sighting, string camera, Guid other, string otherCamera, float score, Guid identity);
}
