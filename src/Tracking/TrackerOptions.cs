using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace ReId.Tracking;

/// <summary>The "Tracking" configuration section.</summary>
public sealed class TrackerOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Tracking";

    /// <summary>Tracker name from <see cref="TrackerRegistry.Names"/>.</summary>
    public string Tracker { get; set; } = "bytetrack";

    /// <summary>Detections at or above this score take part in the first association stage.</summary>
    public float HighScoreThreshold { get; set; } = 0.5f;

    /// <summary>Detections between this and the high threshold take part in the second stage only.</summary>
    public float LowScoreThreshold { get; set; } = 0.1f;

    /// <summary>An unmatched detection starts a new track only at or above this score.</summary>
    public float NewTrackThreshold { get; set; } = 0.6f;

    /// <summary>Highest 1 - IoU (score-fused) cost accepted in the first stage.</summary>
    public float FirstStageMaxCost { get; set; } = 0.8f;

    /// <summary>Highest 1 - IoU cost accepted in the second (low-score) stage.</summary>
    public float SecondStageMaxCost { get; set; } = 0.5f;

    /// <summary>Highest cost accepted when matching tentative tracks.</summary>
    public float TentativeMaxCost { get; set; } = 0.7f;

    /// <summary>
    /// Boxes are grown by this fraction of their width and height on every side before the IoU of the confident and
    /// tentative stages (buffered IoU): people who move further than their own width between detected frames still
    /// match. 0: plain IoU.
    /// </summary>
    public float MatchBuffer { get; set; }

    /// <summary>How long a lost track may be found again before it ends (and becomes a sighting).</summary>
    public TimeSpan LostTrackBuffer { get; set; } = TimeSpan.FromSeconds(1.5);

    /// <summary>Tracks matched in fewer frames than this give no tracklet (detector noise).</summary>
    public int MinFrames { get; set; } = 4;

    /// <summary>Crops kept per tracklet: a track's duration is cut into this many chunks and one crop is kept from
    /// each (restricted random sampling).</summary>
    public int SamplesPerTracklet { get; set; } = 8;

    /// <summary>When set, a long track also gives an interim tracklet this often (<see cref="Tracklet.IsFinal"/>
    /// false), so callers see people still in view; absent (the default), a track gives one tracklet, when it ends.</summary>
    public TimeSpan? EmitInterval { get; set; }

    /// <summary>
    /// Stitch broken tracks: when a lost track ends and a track that started after it was last seen began close to
    /// where it was last seen, its final tracklet is held and given with the later track's
    /// (<see cref="Tracklet.Previous"/>); the pipeline stores both as one sighting when their embeddings agree
    /// (<see cref="StitchMinSimilarity"/>).
    /// </summary>
    public bool StitchFragments { get; set; } = true;

    /// <summary>Farthest the later track may start from where the lost one was last seen: centre to centre, in box
    /// heights (the taller of the two).</summary>
    public float StitchMaxDistance { get; set; } = 1.0f;

    /// <summary>Cosine similarity of the two fragments' embeddings at or above which they are one sighting.</summary>
    public float StitchMinSimilarity { get; set; } = 0.8f;

    /// <summary>Longest a held tracklet waits for the later track to end; then it is given alone.</summary>
    public TimeSpan StitchMaxHold { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Seed for the choice among equally good crops, so runs can be repeated.</summary>
    public int Seed { get; set; } = 17;

    /// <summary>Throws with a message naming the key and value when a setting is unusable.</summary>
    /// <exception cref="ArgumentException">A setting is unusable.</exception>
    public void Validate()
    {
        var errors = new OptionErrors();
        Validate(errors);
        errors.ThrowIfAny();
    }

    internal void Validate(OptionErrors errors)
    {
        const string s = SectionName;
        errors.Check(TrackerRegistry.Names.Contains(Tracker), $"{s}:Tracker", Tracker, $"one of {string.Join(", ", TrackerRegistry.Names)}");
        foreach (var (key, value) in new[]
                 {
                     (nameof(HighScoreThreshold), HighScoreThreshold), (nameof(LowScoreThreshold), LowScoreThreshold),
                     (nameof(NewTrackThreshold), NewTrackThreshold), (nameof(FirstStageMaxCost), FirstStageMaxCost),
                     (nameof(SecondStageMaxCost), SecondStageMaxCost), (nameof(TentativeMaxCost), TentativeMaxCost),
                     (nameof(MatchBuffer), MatchBuffer), (nameof(StitchMinSimilarity), StitchMinSimilarity),
                 })
        {
            errors.Check(value is >= 0 and <= 1, $"{s}:{key}", value, "a value from 0 to 1");
        }

        errors.Check(LowScoreThreshold <= HighScoreThreshold, $"{s}:LowScoreThreshold", LowScoreThreshold,
            $"at most HighScoreThreshold ({HighScoreThreshold})");
        errors.Check(LostTrackBuffer >= TimeSpan.Zero && LostTrackBuffer <= TimeSpan.FromMinutes(1), $"{s}:LostTrackBuffer", LostTrackBuffer,
            "00:00:00 to 00:01:00");
        errors.Check(StitchMaxDistance is >= 0 and <= 10, $"{s}:StitchMaxDistance", StitchMaxDistance, "0 to 10 box heights");
        errors.Check(StitchMaxHold > TimeSpan.Zero && StitchMaxHold <= TimeSpan.FromMinutes(10), $"{s}:StitchMaxHold", StitchMaxHold,
            "more than 00:00:00, at most 00:10:00");
        errors.Check(MinFrames is >= 1 and <= 1000, $"{s}:MinFrames", MinFrames, "1 to 1000");
        errors.Check(SamplesPerTracklet is >= 1 and <= 64, $"{s}:SamplesPerTracklet", SamplesPerTracklet, "1 to 64");
        errors.Check(EmitInterval is null || EmitInterval > TimeSpan.Zero, $"{s}:EmitInterval", EmitInterval, "a positive time span, or absent");
    }
}

/// <summary>Registers the Tracking stage.</summary>
public static class TrackingServiceCollectionExtensions
{
    /// <summary>Binds <see cref="TrackerOptions"/> from the <c>Tracking</c> section (unknown keys are errors) and
    /// validates it once, at start.</summary>
    public static OptionsBuilder<TrackerOptions> AddTracking(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return services.AddValidatedOptions<TrackerOptions>(configuration.GetSection(TrackerOptions.SectionName), (o, e) => o.Validate(e));
    }

    /// <summary>
    /// Registers the stage's <see cref="TrackerFactory"/> over <see cref="TrackerOptions"/> (bound by
    /// <see cref="AddTracking"/> or given): a new tracker per camera.
    /// </summary>
    public static IServiceCollection AddTrackingServices(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton<TrackerFactory>();
        return services;
    }
}

/// <summary>Makes each camera's tracker from the configured <see cref="TrackerOptions"/>.</summary>
public sealed class TrackerFactory(IOptions<TrackerOptions> options)
{
    /// <summary>A new tracker for <paramref name="cameraId"/> (its own track ids).</summary>
    public ITracker Create(string cameraId) => TrackerRegistry.Create(cameraId, options.Value);
}
