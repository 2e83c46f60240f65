namespace ReId.Host.Pipeline;

/// <summary>
/// Holds the encoder in use and swaps in a new one while the service runs. A caller leases the current encoder
/// for one call; the replaced one is disposed once its last lease ends, so no inference runs on a disposed model.
/// </summary>
internal sealed class EmbedderSlot : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<Task> _retiring = [];
    private Entry _current;
    private bool _disposed;

    public EmbedderSlot(ITrackletEmbedder embedder) => _current = new Entry(embedder);

    public string ModelVersion
    {
        get
        {
            lock (_lock)
            {
                return _current.Embedder.ModelVersion;
            }
        }
    }

    /// <summary>Which model is in use, in words.</summary>
    public string ModelDescription
    {
        get
        {
            lock (_lock)
            {
                return _current.Embedder.ModelDescription;
            }
        }
    }

    /// <summary>Raised after a swap with the new model version.</summary>
    public event Action<string>? Swapped;

    public Lease Acquire()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _current.Leases++;
            return new Lease(this, _current);
        }
    }

    public async Task<IReadOnlyList<float[]>> EmbedAsync(IReadOnlyList<IReadOnlyList<BgrImage>> tracklets, CancellationToken cancellationToken = default)
    {
        using var lease = Acquire();
        return await lease.Embedder.EmbedAsync(tracklets, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Makes <paramref name="embedder"/> the one in use; the old one goes when no call uses it.</summary>
    public void Swap(ITrackletEmbedder embedder)
    {
        Entry old;
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            old = _current;
            _current = new Entry(embedder);
            old.Retired = true;
            if (old.Leases > 0)
            {
                old = null!;
            }
        }

        if (old is not null)
        {
            Retire(old);
        }

        Swapped?.Invoke(embedder.ModelVersion);
    }

    private void Release(Entry entry)
    {
        bool dispose;
        lock (_lock)
        {
            entry.Leases--;
            dispose = entry.Retired && entry.Leases == 0;
        }

        if (dispose)
        {
            Retire(entry);
        }
    }

    // Disposal of a replaced model runs beside the callers; DisposeAsync waits for it.
    private void Retire(Entry entry)
    {
        var task = entry.Embedder.DisposeAsync().AsTask();
        lock (_lock)
        {
            _retiring.RemoveAll(t => t.IsCompleted);
            _retiring.Add(task);
        }
    }

    public async ValueTask DisposeAsync()
    {
        Entry current;
        Task[] retiring;
        lock (_lock)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            current = _current;
            current.Retired = true;
            retiring = [.. _retiring];
        }

        if (current.Leases == 0)
        {
            await current.Embedder.DisposeAsync().ConfigureAwait(false);
        }

        await Task.WhenAll(retiring).ConfigureAwait(false);
    }

    internal sealed class Entry(ITrackletEmbedder embedder)
    {
        public ITrackletEmbedder Embedder { get; } = embedder;
        public int Leases { get; set; }
        public bool Retired { get; set; }
    }

    internal readonly struct Lease : IDisposable
    {
        private readonly EmbedderSlot _slot;
        private readonly Entry _entry;

        internal Lease(EmbedderSlot slot, Entry entry)
        {
            _slot = slot;
            _entry = entry;
        }

        public ITrackletEmbedder Embedder => _entry.Embedder;

        public void Dispose() => _slot.Release(_entry);
    }
}
