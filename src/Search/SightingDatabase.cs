using System.Buffers.Binary;
using System.Runtime.InteropServices;
using Microsoft.Data.Sqlite;

namespace ReId.Search;

/// <summary>
/// The SQLite file behind the embedded store (every table) and beside the Qdrant store (kept crops and feedback).
/// WAL journal with synchronous=FULL: a committed transaction survives a killed process and a power cut.
/// One connection, used under a lock: Microsoft.Data.Sqlite is synchronous underneath anyway.
/// Times are stored as Unix milliseconds (UTC); ids as big-endian bytes, so version-7 ids (time ordered) append to
/// the id index instead of landing at random places in it.
/// </summary>
internal sealed class SightingDatabase : IDisposable
{
    private const int SchemaVersion = 1;
    private readonly SqliteConnection _connection;
    private readonly SqliteConnection _reader;
    private readonly Lock _lock = new();
    private readonly Lock _readLock = new();

    public SightingDatabase(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var full = Path.GetFullPath(path);
        RefuseReadOnly(full);
        _connection = new SqliteConnection(new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = false,
        }.ToString());
        _connection.Open();
        _reader = new SqliteConnection(_connection.ConnectionString);
        try
        {
            Execute("PRAGMA journal_mode=WAL;");
            Execute("PRAGMA synchronous=FULL;");
            Execute("PRAGMA busy_timeout=5000;");
            Execute("""
                CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS sightings(
                  id BLOB NOT NULL UNIQUE, model_version TEXT NOT NULL, camera TEXT NOT NULL, track INTEGER NOT NULL,
                  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL, identity BLOB, embedding BLOB NOT NULL,
                  samples BLOB NOT NULL, has_thumbnail INTEGER NOT NULL);
                CREATE INDEX IF NOT EXISTS sightings_last_seen ON sightings(last_seen);
                CREATE INDEX IF NOT EXISTS sightings_identity ON sightings(identity) WHERE identity IS NOT NULL;
                CREATE TABLE IF NOT EXISTS thumbnails(sighting_id BLOB PRIMARY KEY, jpeg BLOB NOT NULL);
                CREATE TABLE IF NOT EXISTS crops(
                  sighting_id BLOB NOT NULL, seq INTEGER NOT NULL, time INTEGER NOT NULL, kept_at INTEGER NOT NULL,
                  bgr BLOB NOT NULL, PRIMARY KEY(sighting_id, seq));
                CREATE INDEX IF NOT EXISTS crops_kept_at ON crops(kept_at);
                CREATE TABLE IF NOT EXISTS feedback(
                  seq INTEGER PRIMARY KEY AUTOINCREMENT, sighting_a BLOB NOT NULL, sighting_b BLOB NOT NULL,
                  decision INTEGER NOT NULL, decided_at INTEGER NOT NULL, model_version TEXT NOT NULL);
                """);
            using var cmd = Command("SELECT value FROM meta WHERE key='schema'");
            var version = cmd.ExecuteScalar() as string;
            if (version is null)
            {
                Execute($"INSERT INTO meta(key, value) VALUES('schema', '{SchemaVersion}')");
            }
            else if (version != SchemaVersion.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                throw new SightingStoreException($"The sighting database {full} has schema version {version}; this build reads version {SchemaVersion}.");
            }

            // A second connection for reads: under WAL a reader sees the last commit and never waits for a writer,
            // so searches stay fast while a batch is being stored.
            _reader.Open();
            using (var pragma = _reader.CreateCommand())
            {
                pragma.CommandText = "PRAGMA busy_timeout=5000;";
                pragma.ExecuteNonQuery();
            }
        }
        catch
        {
            _reader.Dispose();
            _connection.Dispose();
            throw;
        }

        FilePath = full;
    }

    public string FilePath { get; }

    /// <summary>
    /// SQLite would open a store it cannot write read-only without a word and fail at the first sighting (WAL also
    /// needs to create files beside it): find out at open, with the folder named.
    /// </summary>
    /// <exception cref="SightingStoreException">The folder or the file cannot be written.</exception>
    private static void RefuseReadOnly(string file)
    {
        var folder = Path.GetDirectoryName(file)!;
        var probe = Path.Combine(folder, $".write-test-{Environment.ProcessId}-{Guid.NewGuid():N}");
        try
        {
            Directory.CreateDirectory(folder);
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }

            if (File.Exists(file))
            {
                using (new FileStream(file, FileMode.Open, FileAccess.ReadWrite, FileShare.ReadWrite))
                {
                }
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new SightingStoreException(
                $"The sighting store {file} cannot be written ({e.Message}): the store needs a folder it can write " +
                "(Search:Directory, or the folder of Search:Qdrant:SideStorePath); make it writable or choose another.", e);
        }
    }

    public static long ToMs(DateTimeOffset t) => t.ToUnixTimeMilliseconds();

    public static DateTimeOffset FromMs(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms);

    public void Insert(IReadOnlyList<Sighting> sightings)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            using var insert = Command("""
                INSERT INTO sightings(id, model_version, camera, track, first_seen, last_seen, identity, embedding, samples, has_thumbnail)
                VALUES($id, $mv, $camera, $track, $first, $last, $identity, $embedding, $samples, $thumb)
                """, tx);
            var pId = insert.Parameters.Add("$id", SqliteType.Blob);
            var pMv = insert.Parameters.Add("$mv", SqliteType.Text);
            var pCamera = insert.Parameters.Add("$camera", SqliteType.Text);
            var pTrack = insert.Parameters.Add("$track", SqliteType.Integer);
            var pFirst = insert.Parameters.Add("$first", SqliteType.Integer);
            var pLast = insert.Parameters.Add("$last", SqliteType.Integer);
            var pIdentity = insert.Parameters.Add("$identity", SqliteType.Blob);
            var pEmbedding = insert.Parameters.Add("$embedding", SqliteType.Blob);
            var pSamples = insert.Parameters.Add("$samples", SqliteType.Blob);
            var pThumb = insert.Parameters.Add("$thumb", SqliteType.Integer);
            using var thumb = Command("INSERT INTO thumbnails(sighting_id, jpeg) VALUES($id, $jpeg)", tx);
            var tId = thumb.Parameters.Add("$id", SqliteType.Blob);
            var tJpeg = thumb.Parameters.Add("$jpeg", SqliteType.Blob);
            foreach (var s in sightings)
            {
                pId.Value = s.Id.ToByteArray(bigEndian: true);
                pMv.Value = s.ModelVersion;
                pCamera.Value = s.Camera;
                pTrack.Value = s.Track;
                pFirst.Value = ToMs(s.FirstSeen);
                pLast.Value = ToMs(s.LastSeen);
                pIdentity.Value = s.IdentityId is { } identity ? identity.ToByteArray(bigEndian: true) : DBNull.Value;
                pEmbedding.Value = MemoryMarshal.AsBytes(s.Embedding.AsSpan()).ToArray();
                pSamples.Value = EncodeSamples(s.Samples);
                pThumb.Value = s.Thumbnail is null ? 0 : 1;
                try
                {
                    insert.ExecuteNonQuery();
                }
                catch (SqliteException e) when (e.SqliteErrorCode == 19)
                {
                    throw new ArgumentException($"sighting {s.Id} is already stored; nothing of this batch was stored.", e);
                }

                if (s.Thumbnail is not null)
                {
                    tId.Value = s.Id.ToByteArray(bigEndian: true);
                    tJpeg.Value = s.Thumbnail;
                    thumb.ExecuteNonQuery();
                }
            }

            tx.Commit();
        }
    }

    /// <summary>Rows as loaded at open: everything the in-memory index needs.</summary>
    public delegate void RowVisitor(Guid id, string modelVersion, string camera, long track, long firstMs, long lastMs, ReadOnlySpan<float> embedding);

    public void ReadAll(RowVisitor visit)
    {
        lock (_lock)
        {
            using var cmd = Command("SELECT id, model_version, camera, track, first_seen, last_seen, embedding FROM sightings ORDER BY rowid");
            using var reader = cmd.ExecuteReader();
            var idBytes = new byte[16];
            var vector = new float[Sighting.Dimension];
            var vectorBytes = MemoryMarshal.AsBytes(vector.AsSpan());
            var buffer = new byte[Sighting.Dimension * sizeof(float)];
            var cameras = new Dictionary<string, string>();
            var versions = new Dictionary<string, string>();
            while (reader.Read())
            {
                reader.GetBytes(0, 0, idBytes, 0, 16);
                var read = reader.GetBytes(6, 0, buffer, 0, buffer.Length);
                if (read != buffer.Length)
                {
                    throw new SightingStoreException($"The sighting database {FilePath} holds an embedding of {read} bytes; {buffer.Length} are expected.");
                }

                buffer.CopyTo(vectorBytes);
                var camera = Intern(cameras, reader.GetString(2));
                var mv = Intern(versions, reader.GetString(1));
                visit(new Guid(idBytes, bigEndian: true), mv, camera, reader.GetInt64(3), reader.GetInt64(4), reader.GetInt64(5), vector);
            }
        }

        static string Intern(Dictionary<string, string> seen, string s)
        {
            if (seen.TryGetValue(s, out var existing))
            {
                return existing;
            }

            seen[s] = s;
            return s;
        }
    }

    private const string SightingColumns = "id, model_version, camera, track, first_seen, last_seen, identity, embedding, samples, has_thumbnail";

    /// <summary>A stored sighting (without thumbnail bytes) and whether it has a thumbnail.</summary>
    public readonly record struct StoredRow(Sighting Sighting, bool HasThumbnail);

    public Sighting? Get(Guid id)
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand($"SELECT {SightingColumns} FROM sightings WHERE id = $id");
            cmd.Parameters.AddWithValue("$id", id.ToByteArray(bigEndian: true));
            using var reader = cmd.ExecuteReader();
            if (!reader.Read())
            {
                return null;
            }

            var row = ReadSighting(reader);
            return row.HasThumbnail ? row.Sighting with { Thumbnail = GetThumbnail(id) } : row.Sighting;
        }
    }

    public IReadOnlyDictionary<Guid, StoredRow> GetMany(IReadOnlyCollection<Guid> ids)
    {
        var result = new Dictionary<Guid, StoredRow>(ids.Count);
        if (ids.Count == 0)
        {
            return result;
        }

        lock (_readLock)
        {
            foreach (var chunk in ids.Chunk(500))
            {
                using var cmd = ReadCommand("");
                var names = new string[chunk.Length];
                for (var i = 0; i < chunk.Length; i++)
                {
                    names[i] = "$p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    cmd.Parameters.AddWithValue(names[i], chunk[i].ToByteArray(bigEndian: true));
                }

                cmd.CommandText = $"SELECT {SightingColumns} FROM sightings WHERE id IN ({string.Join(',', names)})";
                using var reader = cmd.ExecuteReader();
                while (reader.Read())
                {
                    var row = ReadSighting(reader);
                    result[row.Sighting.Id] = row;
                }
            }
        }

        return result;
    }

    public List<Sighting> GetIdentity(Guid identity)
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand($"SELECT {SightingColumns} FROM sightings WHERE identity = $identity ORDER BY first_seen, last_seen");
            cmd.Parameters.AddWithValue("$identity", identity.ToByteArray(bigEndian: true));
            return ReadSightings(cmd);
        }
    }

    /// <summary>Newest first; walks the last_seen index backwards and stops at the limit.</summary>
    public List<Sighting> List(SightingListQuery q)
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand("");
            var where = new List<string>();
            if (q.ModelVersion is not null)
            {
                where.Add("model_version = $mv");
                cmd.Parameters.AddWithValue("$mv", q.ModelVersion);
            }

            if (q.Cameras is not null)
            {
                var names = q.Cameras.Distinct(StringComparer.Ordinal).Select((c, i) =>
                {
                    var name = "$c" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
                    cmd.Parameters.AddWithValue(name, c);
                    return name;
                }).ToList();
                where.Add($"camera IN ({string.Join(',', names)})");
            }

            if (q.From is { } from)
            {
                where.Add("last_seen >= $from");
                cmd.Parameters.AddWithValue("$from", ToMs(from));
            }

            if (q.To is { } to)
            {
                where.Add("first_seen <= $to");
                cmd.Parameters.AddWithValue("$to", ToMs(to));
            }

            cmd.Parameters.AddWithValue("$limit", q.Limit);
            cmd.CommandText = $"SELECT {SightingColumns} FROM sightings {(where.Count == 0 ? "" : "WHERE " + string.Join(" AND ", where))} " +
                              "ORDER BY last_seen DESC, camera, id LIMIT $limit";
            return ReadSightings(cmd);
        }
    }

    /// <summary>The distinct model versions stored.</summary>
    public List<string> ModelVersions()
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand("SELECT DISTINCT model_version FROM sightings ORDER BY model_version");
            using var reader = cmd.ExecuteReader();
            var result = new List<string>();
            while (reader.Read())
            {
                result.Add(reader.GetString(0));
            }

            return result;
        }
    }

    /// <summary>One model version's sightings in id order (the unique id index), after the cursor (the hex of the last id).</summary>
    public SightingPage ListByModel(ModelSightingsQuery q)
    {
        byte[] after = [];
        if (q.After is { } cursor)
        {
            try
            {
                after = Convert.FromHexString(cursor);
            }
            catch (FormatException e)
            {
                throw new ArgumentException($"listing by model version: '{cursor}' is not a cursor this store gave.", e);
            }
        }

        List<Sighting> page;
        lock (_readLock)
        {
            using var cmd = ReadCommand($"SELECT {SightingColumns} FROM sightings WHERE model_version = $mv AND id > $after ORDER BY id LIMIT $limit");
            cmd.Parameters.AddWithValue("$mv", q.ModelVersion);
            cmd.Parameters.AddWithValue("$after", after);
            cmd.Parameters.AddWithValue("$limit", q.Limit);
            page = ReadSightings(cmd);
        }

        return new SightingPage(page, page.Count < q.Limit ? null : Convert.ToHexString(page[^1].Id.ToByteArray(bigEndian: true)));
    }

    /// <summary>One pass over the identity index, grouped in SQLite.</summary>
    public List<IdentitySummary> ListIdentities(IdentityListQuery q)
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand($"""
                SELECT identity, COUNT(*), COUNT(DISTINCT camera), MIN(first_seen), MAX(last_seen) FROM sightings
                WHERE identity IS NOT NULL{(q.ModelVersion is null ? "" : " AND model_version = $mv")}
                GROUP BY identity HAVING COUNT(DISTINCT camera) >= $min
                ORDER BY MAX(last_seen) DESC, identity LIMIT $limit
                """);
            if (q.ModelVersion is not null)
            {
                cmd.Parameters.AddWithValue("$mv", q.ModelVersion);
            }

            cmd.Parameters.AddWithValue("$min", q.MinCameras);
            cmd.Parameters.AddWithValue("$limit", q.Limit);
            using var reader = cmd.ExecuteReader();
            var list = new List<IdentitySummary>();
            while (reader.Read())
            {
                list.Add(new IdentitySummary(new Guid((byte[])reader[0], bigEndian: true), reader.GetInt32(1), reader.GetInt32(2),
                    FromMs(reader.GetInt64(3)), FromMs(reader.GetInt64(4))));
            }

            return list;
        }
    }

    public List<Guid> IdsOfIdentity(Guid identity) => Ids("SELECT id FROM sightings WHERE identity = $v", identity.ToByteArray(bigEndian: true));

    public List<Guid> IdsEndedBefore(DateTimeOffset cutoff) => Ids("SELECT id FROM sightings WHERE last_seen < $v", ToMs(cutoff));

    public byte[]? GetThumbnail(Guid id)
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand("SELECT jpeg FROM thumbnails WHERE sighting_id = $id");
            cmd.Parameters.AddWithValue("$id", id.ToByteArray(bigEndian: true));
            return cmd.ExecuteScalar() as byte[];
        }
    }

    /// <summary>Sets the identity of every id; throws (changing nothing) when one is unknown.</summary>
    public void SetIdentity(IReadOnlyList<Guid> ids, Guid identity)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            using var cmd = Command("UPDATE sightings SET identity = $identity WHERE id = $id", tx);
            cmd.Parameters.AddWithValue("$identity", identity.ToByteArray(bigEndian: true));
            var pId = cmd.Parameters.Add("$id", SqliteType.Blob);
            foreach (var id in ids)
            {
                pId.Value = id.ToByteArray(bigEndian: true);
                if (cmd.ExecuteNonQuery() != 1)
                {
                    throw new SightingNotFoundException(id);
                }
            }

            tx.Commit();
        }
    }

    /// <summary>Deletes sightings with their thumbnails and crops in one transaction.</summary>
    public int Delete(IReadOnlyList<Guid> ids, bool sightingsTable = true)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            var deleted = 0;
            foreach (var table in sightingsTable
                         ? new[] { "sightings WHERE id", "thumbnails WHERE sighting_id", "crops WHERE sighting_id" }
                         : ["crops WHERE sighting_id"])
            {
                using var cmd = Command($"DELETE FROM {table} = $id", tx);
                var p = cmd.Parameters.Add("$id", SqliteType.Blob);
                foreach (var id in ids)
                {
                    p.Value = id.ToByteArray(bigEndian: true);
                    var n = cmd.ExecuteNonQuery();
                    if (table.StartsWith("sightings", StringComparison.Ordinal))
                    {
                        deleted += n;
                    }
                }
            }

            tx.Commit();
            return deleted;
        }
    }

    public void KeepCrops(Guid sightingId, IReadOnlyList<KeptCrop> crops, DateTimeOffset keptAt, bool requireSighting)
    {
        lock (_lock)
        {
            using var tx = _connection.BeginTransaction();
            if (requireSighting)
            {
                using var exists = Command("SELECT 1 FROM sightings WHERE id = $id", tx);
                exists.Parameters.AddWithValue("$id", sightingId.ToByteArray(bigEndian: true));
                if (exists.ExecuteScalar() is null)
                {
                    throw new SightingNotFoundException(sightingId);
                }
            }

            using (var clear = Command("DELETE FROM crops WHERE sighting_id = $id", tx))
            {
                clear.Parameters.AddWithValue("$id", sightingId.ToByteArray(bigEndian: true));
                clear.ExecuteNonQuery();
            }

            using var insert = Command("INSERT INTO crops(sighting_id, seq, time, kept_at, bgr) VALUES($id, $seq, $time, $kept, $bgr)", tx);
            insert.Parameters.AddWithValue("$id", sightingId.ToByteArray(bigEndian: true));
            insert.Parameters.AddWithValue("$kept", ToMs(keptAt));
            var pSeq = insert.Parameters.Add("$seq", SqliteType.Integer);
            var pTime = insert.Parameters.Add("$time", SqliteType.Integer);
            var pBgr = insert.Parameters.Add("$bgr", SqliteType.Blob);
            for (var i = 0; i < crops.Count; i++)
            {
                pSeq.Value = i;
                pTime.Value = ToMs(crops[i].Time);
                pBgr.Value = crops[i].Bgr;
                insert.ExecuteNonQuery();
            }

            tx.Commit();
        }
    }

    public List<KeptCrop> GetCrops(Guid sightingId)
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand("SELECT time, bgr FROM crops WHERE sighting_id = $id ORDER BY time, seq");
            cmd.Parameters.AddWithValue("$id", sightingId.ToByteArray(bigEndian: true));
            using var reader = cmd.ExecuteReader();
            var list = new List<KeptCrop>();
            while (reader.Read())
            {
                list.Add(new KeptCrop(FromMs(reader.GetInt64(0)), (byte[])reader[1]));
            }

            return list;
        }
    }

    public int DeleteCropsKeptBefore(DateTimeOffset cutoff)
    {
        lock (_lock)
        {
            using var cmd = Command("DELETE FROM crops WHERE kept_at < $cutoff");
            cmd.Parameters.AddWithValue("$cutoff", ToMs(cutoff));
            return cmd.ExecuteNonQuery();
        }
    }

    public void AddFeedback(LinkFeedback f)
    {
        lock (_lock)
        {
            using var cmd = Command("INSERT INTO feedback(sighting_a, sighting_b, decision, decided_at, model_version) VALUES($a, $b, $d, $t, $mv)");
            cmd.Parameters.AddWithValue("$a", f.SightingA.ToByteArray(bigEndian: true));
            cmd.Parameters.AddWithValue("$b", f.SightingB.ToByteArray(bigEndian: true));
            cmd.Parameters.AddWithValue("$d", (int)f.Decision);
            cmd.Parameters.AddWithValue("$t", ToMs(f.DecidedAt));
            cmd.Parameters.AddWithValue("$mv", f.ModelVersion);
            cmd.ExecuteNonQuery();
        }
    }

    public List<LinkFeedback> GetFeedback()
    {
        lock (_readLock)
        {
            using var cmd = ReadCommand("SELECT sighting_a, sighting_b, decision, decided_at, model_version FROM feedback ORDER BY seq");
            using var reader = cmd.ExecuteReader();
            var list = new List<LinkFeedback>();
            while (reader.Read())
            {
                list.Add(new LinkFeedback(new Guid((byte[])reader[0], bigEndian: true), new Guid((byte[])reader[1], bigEndian: true), (LinkDecision)reader.GetInt32(2),
                    FromMs(reader.GetInt64(3)), reader.GetString(4)));
            }

            return list;
        }
    }

    public static byte[] EncodeSamples(IReadOnlyList<SightingSample> samples)
    {
        var bytes = new byte[samples.Count * 24];
        for (var i = 0; i < samples.Count; i++)
        {
            var span = bytes.AsSpan(i * 24, 24);
            BinaryPrimitives.WriteInt64LittleEndian(span, ToMs(samples[i].Time));
            BinaryPrimitives.WriteSingleLittleEndian(span[8..], samples[i].Box.X);
            BinaryPrimitives.WriteSingleLittleEndian(span[12..], samples[i].Box.Y);
            BinaryPrimitives.WriteSingleLittleEndian(span[16..], samples[i].Box.Width);
            BinaryPrimitives.WriteSingleLittleEndian(span[20..], samples[i].Box.Height);
        }

        return bytes;
    }

    public static SightingSample[] DecodeSamples(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % 24 != 0)
        {
            throw new SightingStoreException($"A stored sample list has {bytes.Length} bytes, not a multiple of 24.");
        }

        var samples = new SightingSample[bytes.Length / 24];
        for (var i = 0; i < samples.Length; i++)
        {
            var span = bytes.Slice(i * 24, 24);
            samples[i] = new SightingSample(FromMs(BinaryPrimitives.ReadInt64LittleEndian(span)), new Box(
                BinaryPrimitives.ReadSingleLittleEndian(span[8..]), BinaryPrimitives.ReadSingleLittleEndian(span[12..]),
                BinaryPrimitives.ReadSingleLittleEndian(span[16..]), BinaryPrimitives.ReadSingleLittleEndian(span[20..])));
        }

        return samples;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            lock (_readLock)
            {
                _reader.Dispose();
                _connection.Dispose();
            }
        }
    }

    private static List<Sighting> ReadSightings(SqliteCommand cmd)
    {
        using var reader = cmd.ExecuteReader();
        var list = new List<Sighting>();
        while (reader.Read())
        {
            list.Add(ReadSighting(reader).Sighting);
        }

        return list;
    }

    private static StoredRow ReadSighting(SqliteDataReader r)
    {
        var embedding = MemoryMarshal.Cast<byte, float>(((byte[])r[7]).AsSpan()).ToArray();
        var sighting = new Sighting(new Guid((byte[])r[0], bigEndian: true), r.GetString(2), r.GetInt64(3), FromMs(r.GetInt64(4)), FromMs(r.GetInt64(5)),
            r.GetString(1), embedding, DecodeSamples((byte[])r[8]), null)
        {
            IdentityId = r.IsDBNull(6) ? null : new Guid((byte[])r[6], bigEndian: true),
        };
        return new StoredRow(sighting, r.GetInt64(9) != 0);
    }

    private List<Guid> Ids(string sql, object value)
    {
        lock (_lock)
        {
            using var cmd = Command(sql);
            cmd.Parameters.AddWithValue("$v", value);
            using var reader = cmd.ExecuteReader();
            var list = new List<Guid>();
            while (reader.Read())
            {
                list.Add(new Guid((byte[])reader[0], bigEndian: true));
            }

            return list;
        }
    }

    private SqliteCommand ReadCommand(string sql)
    {
        var cmd = _reader.CreateCommand();
        cmd.CommandText = sql;
        return cmd;
    }

    private SqliteCommand Command(string sql, SqliteTransaction? tx = null)
    {
        var cmd = _connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        return cmd;
    }

    private void Execute(string sql)
    {
        using var cmd = Command(sql);
        cmd.ExecuteNonQuery();
    }
}
