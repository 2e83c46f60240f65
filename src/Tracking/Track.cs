
namespace ReId.Tracking;

/// <summary>One track's motion state and bookkeeping.</summary>
internal sealed class Track
{
    private readonly double[] _mean = new double[8];
    private readonly double[] _cov = new double[64];

    public Track(long id, PersonDetection detection, DateTimeOffset time, TrackletSampler sampler)
    {
        Id = id;
        Span<double> z = stackalloc double[4];
        ToXyah(detection.Box, z);
        KalmanFilterXyah.Initiate(z, _mean, _cov);
        Score = detection.Score;
        FirstSeen = LastSeen = LastEmitted = time;
        Sampler = sampler;
        FramesMatched = 1;
    }

    public long Id { get; }

    public TrackState State { get; set; } = TrackState.Tentative;

    /// <summary>True once confirmed: lost tracks stay "was confirmed".</summary>
    public bool WasConfirmed { get; set; }

    public float Score { get; private set; }

    public DateTimeOffset FirstSeen { get; }

    public DateTimeOffset LastSeen { get; private set; }

    public DateTimeOffset LastEmitted { get; set; }

    public int FramesMatched { get; private set; }

    public int FramesLost { get; set; }

    public TrackletSampler Sampler { get; }

    /// <summary>The final tracklet of an earlier track this one probably continues, held until this one ends.</summary>
    public Tracklet? Previous { get; set; }

    /// <summary>The filtered box (left, top, width, height).</summary>
    public Box Box
    {
        get
        {
            double h = _mean[3], w = _mean[2] * h;
            return new Box((float)(_mean[0] - (w / 2)), (float)(_mean[1] - (h / 2)), (float)w, (float)h);
        }
    }

    public void Predict()
    {
        if (State != TrackState.Confirmed)
        {
            _mean[7] = 0; // a lost box keeps its size rather than keep growing or shrinking
        }

        KalmanFilterXyah.Predict(_mean, _cov);
    }

    public void Match(PersonDetection detection, DateTimeOffset time)
    {
        Span<double> z = stackalloc double[4];
        ToXyah(detection.Box, z);
        KalmanFilterXyah.Update(_mean, _cov, z);
        Score = detection.Score;
        LastSeen = time;
        FramesMatched++;
        State = TrackState.Confirmed;
        WasConfirmed = true;
    }

    /// <summary>Box to the filter's measurement: centre x, centre y, aspect w/h, height.</summary>
    internal static void ToXyah(Box b, Span<double> z)
    {
        z[0] = b.X + (b.Width / 2.0);
        z[1] = b.Y + (b.Height / 2.0);
        z[2] = b.Width / Math.Max(b.Height, 1e-3);
        z[3] = b.Height;
    }
}
