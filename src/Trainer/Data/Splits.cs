namespace ReId.Trainer.Data;

/// <summary>Splits a set by identity, never by image, so no person is in both parts.</summary>
public static class Splits
{
    /// <summary>The last <paramref name="count"/> identities (in id order) as validation, the rest as training.</summary>
    public static (TrackletSet Train, TrackletSet Validation) LastIdentities(TrackletSet set, int count)
    {
        ArgumentNullException.ThrowIfNull(set);
        var ids = set.Tracklets.Select(t => t.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        if (count <= 0 || count >= ids.Count)
        {
            throw new DatasetException(
                $"Cannot keep {count} of the {ids.Count} identities of '{set.Root}' for validation: " +
                "both parts need at least one identity.");
        }

        var validation = new HashSet<string>(ids.Skip(ids.Count - count), StringComparer.Ordinal);
        return Partition(set, validation);
    }

    /// <summary>A seeded random fraction of the identities as validation.</summary>
    public static (TrackletSet Train, TrackletSet Validation) RandomIdentities(TrackletSet set, double fraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(set);
        var ids = set.Tracklets.Select(t => t.Identity).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        new Random(seed).Shuffle(ids);
        int count = Math.Clamp((int)Math.Round(ids.Length * fraction), 1, ids.Length - 1);
        return Partition(set, new HashSet<string>(ids.Take(count), StringComparer.Ordinal));
    }

    /// <summary>The tracklets of one subset (e.g. "bounding_box_train"); the whole set when none has subsets.</summary>
    public static TrackletSet Subset(TrackletSet set, params string[] subsets)
    {
        ArgumentNullException.ThrowIfNull(set);
        var picked = set.Tracklets.Where(t => subsets.Contains(t.Subset, StringComparer.Ordinal)).ToList();
        return picked.Count == 0 ? set : set with { Tracklets = picked };
    }

    private static (TrackletSet, TrackletSet) Partition(TrackletSet set, HashSet<string> validation) =>
        (set with { Tracklets = set.Tracklets.Where(t => !validation.Contains(t.Identity)).ToList() },
         set with { Tracklets = set.Tracklets.Where(t => validation.Contains(t.Identity)).ToList() });
}
