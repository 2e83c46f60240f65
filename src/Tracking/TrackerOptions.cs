namespace ReId.Tracking;

/// <summary>The "Tracking" configuration section.</summary>
public sealed class TrackerOptions
{
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

    /// <summary>How long a lost track may be found again before it ends.</summary>
    public TimeSpan LostTrackBuffer { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Chunks of a track's duration; one crop is kept from each (restricted random sampling).</summary>
    public int SampleChunks { get; set; } = 8;

    /// <summary>A long track also gives a tracklet every this often, so queries see people still in view.</summary>
    public TimeSpan EmitInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Seed for the choice among equally good crops, so runs can be repeated.</summary>
    public int Seed { get; set; } = 17;

    /// <summary>Throws with a message naming the key and value when a setting is unusable.</summary>
    public void Validate()
    {
        static void Fail(string key, object value, string why) =>
            throw new ArgumentException($"Tracking:{key} = '{value}' is not valid: {why}.");

        if (!TrackerRegistry.Names.Contains(Tracker))
        {
            Fail(nameof(Tracker), Tracker, $"name one of {string.Join(", ", TrackerRegistry.Names)}");
        }

        foreach (var (key, value) in new[]
                 {
                     (nameof(HighScoreThreshold), HighScoreThreshold), (nameof(LowScoreThreshold), LowScoreThreshold),
                     (nameof(NewTrackThreshold), NewTrackThreshold), (nameof(FirstStageMaxCost), FirstStageMaxCost),
                     (nameof(SecondStageMaxCost), SecondStageMaxCost), (nameof(TentativeMaxCost), TentativeMaxCost),
                 })
        {
            if (value is < 0 or > 1 || float.IsNaN(value))
            {
                Fail(key, value, "use a value in [0, 1]");
            }
        }

        if (LowScoreThreshold > HighScoreThreshold)
        {
            Fail(nameof(LowScoreThreshold), LowScoreThreshold, $"it must not exceed HighScoreThreshold ({HighScoreThreshold})");
        }

        if (LostTrackBuffer < TimeSpan.Zero)
        {
            Fail(nameof(LostTrackBuffer), LostTrackBuffer, "use zero or more");
        }

        if (SampleChunks is < 1 or > 64)
        {
            Fail(nameof(SampleChunks), SampleChunks, "use 1 to 64");
        }

        if (EmitInterval <= TimeSpan.Zero)
        {
            Fail(nameof(EmitInterval), EmitInterval, "use a positive duration");
        }
    }
}
