using OpenCvSharp;

namespace ReId.Tracking;

/// <summary>
/// Keeps a bounded, time-spread set of candidate crops while a track lives, and picks the tracklet's samples by
/// restricted random sampling: the track's duration is cut into N equal chunks and one crop is taken from each,
/// chosen at random among that chunk's best (sharp, unoccluded, large, confident) candidates.
/// </summary>
/// <remarks>
/// The track's final length is unknown while it lives, so candidates are kept at a stride that doubles whenever
/// the store is full (thinning pairs of neighbours to the better one); within a stride a better frame replaces the
/// last candidate. Crops are only cut for frames that are kept, which bounds the cost per frame.
/// </remarks>
internal sealed class TrackletSampler(int chunks)
{
    private readonly List<Candidate> _candidates = [];
    private readonly Stack<byte[]> _spare = new();
    private readonly int _capacity = Math.Max(8, 2 * chunks); // each candidate holds a 96 KiB crop
    private int _stride = 1;
    private int _framesSinceAdded;
    private bool _offered;
    private DateTimeOffset _first;
    private DateTimeOffset _last;

    public int Chunks { get; } = chunks;

    public int CandidateCount => _candidates.Count;

    /// <summary>Considers this frame's box of the track.</summary>
    public void Offer(Mat frame, DateTimeOffset time, Box box, float score, float occlusion)
    {
        if (!_offered)
        {
            _offered = true;
            _first = time;
        }

        _last = time;
        float size = MathF.Min(1f, box.Height / PersonCrop.Height);
        float prior = score * (1f - occlusion) * (0.25f + (0.75f * size));
        _framesSinceAdded++;
        bool add = _candidates.Count == 0 || _framesSinceAdded >= _stride;
        if (!add && prior <= _candidates[^1].Prior)
        {
            return;
        }

        var buffer = _spare.Count > 0 ? _spare.Pop() : GC.AllocateUninitializedArray<byte>(PersonCrop.Bytes);
        if (CropCutter.Cut(frame, box, buffer) is not { } sharpness)
        {
            _spare.Push(buffer);
            return;
        }

        float quality = prior * (sharpness / (sharpness + 100f));
        var candidate = new Candidate(time, box, score, occlusion, buffer, sharpness, prior, quality);
        if (add)
        {
            _candidates.Add(candidate);
            _framesSinceAdded = 0;
            if (_candidates.Count > _capacity)
            {
                Thin();
            }
        }
        else
        {
            Release(_candidates[^1]);
            _candidates[^1] = candidate;
        }
    }

    /// <summary>Picks up to N samples in time order, and the best of them for the thumbnail.</summary>
    public (List<Candidate> Samples, Candidate? Best) Select(Random random)
    {
        var samples = new List<Candidate>(Chunks);
        if (_candidates.Count == 0)
        {
            return (samples, null);
        }

        if (_candidates.Count <= Chunks)
        {
            samples.AddRange(_candidates);
        }
        else
        {
            // Chunks cover the whole time the track was offered, not just the candidates' span.
            long start = _first.UtcTicks;
            long span = Math.Max(1, _last.UtcTicks - start + 1);
            var chunk = new List<Candidate>();
            var empty = new List<long>();
            int next = 0;
            for (int c = 0; c < Chunks; c++)
            {
                long end = start + (span * (c + 1) / Chunks);
                chunk.Clear();
                while (next < _candidates.Count && (_candidates[next].Time.UtcTicks < end || c == Chunks - 1))
                {
                    chunk.Add(_candidates[next++]);
                }

                if (chunk.Count == 0)
                {
                    empty.Add(start + (span * ((2 * c) + 1) / (2 * Chunks)));
                    continue;
                }

                float best = chunk.Max(k => k.Quality);
                var good = chunk.Where(k => k.Quality >= 0.85f * best).ToList();
                samples.Add(good[random.Next(good.Count)]);
            }

            // A chunk without a candidate (the store is sparser than N chunks) takes the nearest one not yet taken.
            foreach (long middle in empty)
            {
                var nearest = _candidates.Where(k => !samples.Contains(k)).MinBy(k => Math.Abs(k.Time.UtcTicks - middle));
                if (nearest is not null)
                {
                    samples.Add(nearest);
                }
            }

            samples.Sort((a, b) => a.Time.CompareTo(b.Time));
        }

        return (samples, samples.MaxBy(s => s.Quality));
    }

    private void Thin()
    {
        var kept = new List<Candidate>((_candidates.Count + 1) / 2);
        for (int i = 0; i < _candidates.Count; i += 2)
        {
            bool second = i + 1 < _candidates.Count && _candidates[i + 1].Quality > _candidates[i].Quality;
            kept.Add(_candidates[second ? i + 1 : i]);
            if (i + 1 < _candidates.Count)
            {
                Release(_candidates[second ? i : i + 1]);
            }
        }

        _candidates.Clear();
        _candidates.AddRange(kept);
        _stride *= 2;
    }

    /// <summary>A dropped candidate's buffer is reused unless a tracklet holds it (tracklets are immutable).</summary>
    private void Release(Candidate dropped)
    {
        if (!dropped.Emitted && _spare.Count < 4)
        {
            _spare.Push(dropped.Crop);
        }
    }

    internal sealed record Candidate(
        DateTimeOffset Time, Box Box, float Score, float Occlusion, byte[] Crop, float Sharpness, float Prior, float Quality)
    {
        /// <summary>Set once a tracklet carries this crop: its buffer may then never be reused.</summary>
        public bool Emitted { get; set; }
    }
}
