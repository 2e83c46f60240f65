using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace ReId.Search;

/// <summary>
/// Exact cosine search over one model version's embeddings, all in memory.
/// Vectors live in contiguous segments (no giant copies as the index grows); each camera keeps its rows sorted by
/// start time, so a camera and time filter scans only the rows it can match. Dot products use SIMD
/// (TensorPrimitives). Not thread-safe: the store guards it with a reader-writer lock.
/// </summary>
internal sealed class VectorIndex
{
    private const int SegmentRows = 16_384;
    private const int ParallelThreshold = 32_768;
    private readonly List<float[]> _segments = [];
    private readonly List<Row> _rows = [];
    private readonly Dictionary<Guid, int> _rowOfId = [];
    private readonly Dictionary<string, CameraRows> _cameras = new(StringComparer.Ordinal);
    private readonly List<CameraRows> _cameraList = [];

    public int Count => _rowOfId.Count;

    public void Add(Guid id, string camera, long track, long firstMs, long lastMs, ReadOnlySpan<float> normalised)
    {
        var row = _rows.Count;
        var slot = row % SegmentRows;
        if (slot == 0)
        {
            _segments.Add(new float[SegmentRows * Sighting.Dimension]);
        }

        normalised.CopyTo(_segments[^1].AsSpan(slot * Sighting.Dimension, Sighting.Dimension));
        if (!_cameras.TryGetValue(camera, out var rows))
        {
            rows = new CameraRows(camera, _cameraList.Count);
            _cameras.Add(camera, rows);
            _cameraList.Add(rows);
        }

        _rows.Add(new Row(id, firstMs, lastMs, track, rows.Index));
        _rowOfId.Add(id, row);
        rows.Insert(row, firstMs, lastMs - firstMs, _rows);
    }

    public bool Remove(Guid id)
    {
        if (!_rowOfId.Remove(id, out var row))
        {
            return false;
        }

        var rows = CollectionsMarshal.AsSpan(_rows);
        rows[row].Deleted = true;
        _cameraList[rows[row].Camera].Deleted++;
        return true;
    }

    /// <summary>Drops deleted rows from the per-camera lists once they make up a good part of them.</summary>
    public void CompactCameraLists()
    {
        foreach (var camera in _cameras.Values)
        {
            if (camera.Deleted > 0)
            {
                camera.Compact(_rows);
            }
        }
    }

    public ReadOnlySpan<float> Vector(int row) =>
        _segments[row / SegmentRows].AsSpan(row % SegmentRows * Sighting.Dimension, Sighting.Dimension);

    /// <summary>Ids of the best matches with their scores, highest first.</summary>
    public List<(Guid Id, float Score)> Search(SightingQuery q)
    {
        long from = q.From is { } f ? SightingDatabase.ToMs(f) : long.MinValue;
        long to = q.To is { } t ? SightingDatabase.ToMs(t) : long.MaxValue;
        var selected = new bool[_cameraList.Count];
        var work = new List<(CameraRows? Camera, int Start, int End)>();
        IEnumerable<CameraRows> cameras = q.Cameras is null
            ? _cameraList
            : q.Cameras.Distinct(StringComparer.Ordinal).Select(c => _cameras.GetValueOrDefault(c)).OfType<CameraRows>();
        var total = 0;
        foreach (var camera in cameras)
        {
            if (q.ExcludeCamera is not null && camera.Name == q.ExcludeCamera)
            {
                continue;
            }

            selected[camera.Index] = true;

            // Overlap with [from, to]: starts at or before `to`, ends at or after `from`. Rows are sorted by start,
            // so anything starting before from - longest duration cannot reach `from`.
            var start = from == long.MinValue ? 0 : camera.LowerBound(SaturatingSubtract(from, camera.MaxDurationMs), _rows);
            var end = to == long.MaxValue ? camera.Count : camera.UpperBound(to, _rows);
            for (var s = start; s < end; s += SegmentRows)
            {
                work.Add((camera, s, Math.Min(end, s + SegmentRows)));
                total += Math.Min(end, s + SegmentRows) - s;
            }
        }

        // When the filters leave a good part of all rows, one pass in storage order is faster than hopping
        // through the per-camera lists: vectors are read sequentially.
        if (total > _rows.Count / 4)
        {
            work.Clear();
            for (var s = 0; s < _rows.Count; s += SegmentRows)
            {
                work.Add((null, s, Math.Min(_rows.Count, s + SegmentRows)));
            }
        }

        var k = q.K;
        var query = q.Embedding;
        var minScore = q.MinSimilarity;
        var excludeTrack = q.ExcludeTrack is { } et && _cameras.TryGetValue(et.Camera, out var etCamera) ? (etCamera.Index, et.Track) : (-1, 0L);
        var heaps = new List<PriorityQueue<int, float>>();
        var gate = new Lock();

        void Scan((CameraRows? Camera, int Start, int End) item, PriorityQueue<int, float> heap)
        {
            var rows = CollectionsMarshal.AsSpan(_rows);
            if (item.Camera is { } camera)
            {
                var list = camera.RowSpan;
                for (var i = item.Start; i < item.End; i++)
                {
                    Consider(list[i], rows, heap);
                }
            }
            else
            {
                for (var row = item.Start; row < item.End; row++)
                {
                    ref readonly var r = ref rows[row];
                    if (selected[r.Camera] && r.FirstMs <= to)
                    {
                        Consider(row, rows, heap);
                    }
                }
            }
        }

        void Consider(int row, ReadOnlySpan<Row> rows, PriorityQueue<int, float> heap)
        {
            ref readonly var r = ref rows[row];
            if (r.Deleted || r.LastMs < from || (r.Camera == excludeTrack.Item1 && r.Track == excludeTrack.Item2))
            {
                return;
            }

            var score = TensorPrimitives.Dot(Vector(row), query);
            if (score < minScore)
            {
                return;
            }

            if (heap.Count < k)
            {
                heap.Enqueue(row, score);
            }
            else if (heap.TryPeek(out _, out var worst) && score > worst)
            {
                heap.DequeueEnqueue(row, score);
            }
        }

        if (Math.Min(total, _rows.Count) >= ParallelThreshold && Environment.ProcessorCount > 1)
        {
            Parallel.ForEach(work, () => new PriorityQueue<int, float>(k + 1), (item, _, heap) =>
            {
                Scan(item, heap);
                return heap;
            }, heap =>
            {
                lock (gate)
                {
                    heaps.Add(heap);
                }
            });
        }
        else
        {
            var heap = new PriorityQueue<int, float>(k + 1);
            foreach (var item in work)
            {
                Scan(item, heap);
            }

            heaps.Add(heap);
        }

        var merged = new List<(Guid, float)>();
        foreach (var heap in heaps)
        {
            while (heap.TryDequeue(out var row, out var score))
            {
                merged.Add((_rows[row].Id, score));
            }
        }

        merged.Sort((a, b) => b.Item2.CompareTo(a.Item2));
        if (merged.Count > k)
        {
            merged.RemoveRange(k, merged.Count - k);
        }

        return merged;
    }

    private static long SaturatingSubtract(long a, long b) => a < long.MinValue + b ? long.MinValue : a - b;

    private struct Row(Guid id, long firstMs, long lastMs, long track, int camera)
    {
        public readonly Guid Id = id;
        public readonly long FirstMs = firstMs;
        public readonly long LastMs = lastMs;
        public readonly long Track = track;
        public readonly int Camera = camera;
        public bool Deleted;
    }

    /// <summary>A camera's rows ordered by start time (ties by insertion).</summary>
    private sealed class CameraRows(string name, int index)
    {
        private List<int> _rows = [];

        public string Name { get; } = name;

        public int Index { get; } = index;

        public long MaxDurationMs { get; private set; }

        public int Deleted { get; set; }

        public int Count => _rows.Count;

        public ReadOnlySpan<int> RowSpan => CollectionsMarshal.AsSpan(_rows);

        public void Insert(int row, long firstMs, long durationMs, List<Row> all)
        {
            MaxDurationMs = Math.Max(MaxDurationMs, durationMs);

            // Sightings mostly arrive in time order: append; otherwise insert at its place.
            if (_rows.Count == 0 || all[_rows[^1]].FirstMs <= firstMs)
            {
                _rows.Add(row);
            }
            else
            {
                _rows.Insert(UpperBound(firstMs, all), row);
            }
        }

        public void Compact(List<Row> all)
        {
            _rows = _rows.Where(r => !all[r].Deleted).ToList();
            Deleted = 0;
        }

        /// <summary>First position whose start is at or after <paramref name="ms"/>.</summary>
        public int LowerBound(long ms, List<Row> all)
        {
            int lo = 0, hi = _rows.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (all[_rows[mid]].FirstMs < ms)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }

        /// <summary>First position whose start is after <paramref name="ms"/>.</summary>
        public int UpperBound(long ms, List<Row> all)
        {
            int lo = 0, hi = _rows.Count;
            while (lo < hi)
            {
                var mid = (lo + hi) >>> 1;
                if (all[_rows[mid]].FirstMs <= ms)
                {
                    lo = mid + 1;
                }
                else
                {
                    hi = mid;
                }
            }

            return lo;
        }
    }
}
