using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using TorchSharp;

namespace ReId.ReidEncoder;

/// <summary>
/// The model file: "REIDDRSA", format revision (int32), description length (int32), the description as UTF-8
/// JSON, weights length (int64), the TorchSharp state dict, then the SHA-256 of everything before it. The
/// trunk's weights are left out when the description says they are the stock ImageNet ones.
/// </summary>
public static class ReidModelFile
{
    private static readonly byte[] Magic = "REIDDRSA"u8.ToArray();
    private const int MaxDescriptionBytes = 1 << 20;

    internal static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        Converters = { new JsonStringEnumConverter() },
    };

    /// <summary>Writes the model and its description to path (through a temporary file, so a crash leaves no half file).</summary>
    public static void Save(ReidModel model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        var description = model.Description;
        if (description.StockTrunk && model.Model.TrunkSource != TrunkWeights.ImageNet)
        {
            throw new InvalidOperationException(
                $"the description says the trunk is the stock {ImageNetResNet18.WeightsId}, but this model's trunk was not built from it; set TrunkWeights to \"{ReidModelDescription.InFile}\".");
        }
        using var weights = new MemoryStream();
        using (var writer = new BinaryWriter(weights, Encoding.UTF8, leaveOpen: true))
        {
            var skip = SkippedKeys(model.Model, description);
            if (description.WeightPrecision == ReidModelDescription.Float16)
            {
                // a half-precision copy, so that the caller's model keeps its own precision
                using var half = new DrsaModel(model.Model.Config, TrunkWeights.Random);
                using (torch.no_grad())
                {
                    var source = model.Model.state_dict();
                    foreach (var (key, target) in half.state_dict())
                    {
                        target.copy_(source[key]);
                    }
                }
                half.half();
                half.save(writer, skip: skip);
            }
            else
            {
                model.Model.save(writer, skip: skip);
            }
        }
        var header = JsonSerializer.SerializeToUtf8Bytes(description, Json);

        var full = Path.GetFullPath(path);
        var temp = full + ".tmp";
        using (var file = new FileStream(temp, FileMode.Create, FileAccess.Write))
        using (var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256))
        {
            void Write(ReadOnlySpan<byte> bytes)
            {
                file.Write(bytes);
                hash.AppendData(bytes);
            }
            Write(Magic);
            Write(BitConverter.GetBytes(ReidModelDescription.CurrentFormatVersion));
            Write(BitConverter.GetBytes(header.Length));
            Write(header);
            Write(BitConverter.GetBytes(weights.Length));
            Write(weights.GetBuffer().AsSpan(0, (int)weights.Length));
            file.Write(hash.GetHashAndReset());
        }
        File.Move(temp, full, overwrite: true);
    }

    /// <summary>Reads only the description (checks the file's integrity first).</summary>
    public static ReidModelDescription ReadDescription(string path) => Read(path).Description;

    /// <summary>
    /// Loads a model file. With <paramref name="expected"/>, refuses a file whose architecture differs from it,
    /// naming each difference. Refuses foreign, truncated and corrupted files with a message saying which.
    /// </summary>
    public static ReidModel Load(string path, DrsaConfig? expected = null)
    {
        var (description, weights) = Read(path);
        var config = description.Architecture;
        if (expected is not null && expected != config)
        {
            throw new InvalidDataException(
                $"{path}: the model's architecture does not match the configured one: {string.Join("; ", Differences(expected, config))}.");
        }
        var model = new DrsaModel(config, description.StockTrunk ? TrunkWeights.ImageNet : TrunkWeights.Random);
        try
        {
            using var stream = new MemoryStream(weights, writable: false);
            using var reader = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
            var skip = SkippedKeys(model, description);
            var loaded = new Dictionary<string, bool>();
            // strict loading counts skipped entries as missing, so completeness is checked here instead.
            if (description.WeightPrecision == ReidModelDescription.Float16)
            {
                // half-precision weights load into a half copy and are widened into the model, whose stock trunk
                // part stays at full precision
                using var staging = new DrsaModel(config, TrunkWeights.Random);
                staging.half();
                staging.load(reader, strict: skip.Count == 0, skip: skip, loadedParameters: loaded);
                using var noGrad = torch.no_grad();
                var from = staging.state_dict();
                var to = model.state_dict();
                foreach (var (key, ok) in loaded)
                {
                    if (ok) to[key].copy_(from[key]);
                }
            }
            else
            {
                model.load(reader, strict: skip.Count == 0, skip: skip, loadedParameters: loaded);
            }
            var missing = model.state_dict().Keys.Where(k => !skip.Contains(k) && !(loaded.TryGetValue(k, out bool ok) && ok)).ToList();
            if (missing.Count > 0)
            {
                throw new InvalidOperationException($"{missing.Count} weights are missing, e.g. {string.Join(", ", missing.Take(3))}.");
            }
            if (stream.Position != stream.Length)
            {
                throw new InvalidOperationException($"{stream.Length - stream.Position} bytes of weights were left unread.");
            }
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException or KeyNotFoundException)
        {
            model.Dispose();
            throw new InvalidDataException($"{path}: the weights do not fit the architecture its description gives: {e.Message}", e);
        }
        return new ReidModel(model, description);
    }

    private static (ReidModelDescription Description, byte[] Weights) Read(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path)) throw new FileNotFoundException($"model file {path} does not exist.", path);
        var bytes = File.ReadAllBytes(path);
        if (bytes.Length < Magic.Length || !bytes.AsSpan(0, Magic.Length).SequenceEqual(Magic))
        {
            throw new InvalidDataException($"{path} is not a reid model file (it does not start with \"REIDDRSA\").");
        }
        int offset = Magic.Length;
        int version = ReadInt32(bytes, ref offset, path);
        if (version != ReidModelDescription.CurrentFormatVersion)
        {
            throw new InvalidDataException($"{path}: model file format {version} is not supported (this program reads format {ReidModelDescription.CurrentFormatVersion}).");
        }
        int headerLength = ReadInt32(bytes, ref offset, path);
        if (headerLength is <= 0 or > MaxDescriptionBytes) throw new InvalidDataException($"{path}: bad description length {headerLength}: the file is corrupted.");
        Require(bytes, offset, headerLength, path, "description");
        var header = bytes.AsSpan(offset, headerLength);
        offset += headerLength;
        long weightsLength = ReadInt64(bytes, ref offset, path);
        if (weightsLength < 0) throw new InvalidDataException($"{path}: bad weights length {weightsLength}: the file is corrupted.");
        Require(bytes, offset, weightsLength + SHA256.HashSizeInBytes, path, "weights and checksum");
        var weights = bytes.AsSpan(offset, (int)weightsLength).ToArray();
        offset += (int)weightsLength;
        if (offset + SHA256.HashSizeInBytes != bytes.Length)
        {
            throw new InvalidDataException($"{path}: {bytes.Length - offset - SHA256.HashSizeInBytes} unexpected bytes after the weights: the file is corrupted.");
        }
        var actual = SHA256.HashData(bytes.AsSpan(0, offset));
        if (!actual.AsSpan().SequenceEqual(bytes.AsSpan(offset, SHA256.HashSizeInBytes)))
        {
            throw new InvalidDataException($"{path}: checksum mismatch: the file is corrupted.");
        }
        ReidModelDescription description;
        try
        {
            description = JsonSerializer.Deserialize<ReidModelDescription>(header, Json)
                ?? throw new InvalidDataException($"{path}: empty description.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: the description is not valid JSON: {e.Message}", e);
        }
        if (description.Format != ReidModelDescription.FormatName)
        {
            throw new InvalidDataException($"{path}: description format '{description.Format}' is not '{ReidModelDescription.FormatName}'.");
        }
        try
        {
            description.Architecture.Validate();
            description.Pixels.Validate();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"{path}: the description is invalid: {e.Message}", e);
        }
        if (description.WeightPrecision is not (ReidModelDescription.Float32 or ReidModelDescription.Float16))
        {
            throw new InvalidDataException(
                $"{path}: weight precision '{description.WeightPrecision}' is unknown (expected '{ReidModelDescription.Float32}' or '{ReidModelDescription.Float16}').");
        }
        int maxTail = description.Architecture.Trunk == TrunkKind.ResNet50 ? 16 : 9;
        if (description.FineTunedBlocks < 0 || description.FineTunedBlocks > maxTail || (description.FineTunedBlocks > 0 && !description.StockTrunk))
        {
            throw new InvalidDataException(
                $"{path}: fineTunedBlocks {description.FineTunedBlocks} is invalid (0..{maxTail}, and only over stock trunk weights).");
        }
        if (string.IsNullOrWhiteSpace(description.ModelVersion)) throw new InvalidDataException($"{path}: the description has no model version.");
        if (description.TrunkWeights != ReidModelDescription.InFile && !description.StockTrunk)
        {
            throw new InvalidDataException(
                $"{path}: trunk weights '{description.TrunkWeights}' are unknown (expected '{ReidModelDescription.InFile}' or '{ImageNetResNet18.WeightsId}').");
        }
        return (description, weights);
    }

    /// <summary>The stock trunk's keys, which the file does not hold: all of them but the fine-tuned blocks'.</summary>
    private static List<string> SkippedKeys(DrsaModel model, ReidModelDescription description)
    {
        if (!description.StockTrunk) return [];
        var kept = model.Trunk.TailKeyPrefixes(description.FineTunedBlocks).Select(p => "trunk." + p).ToList();
        return [.. model.state_dict().Keys.Where(k => k.StartsWith("trunk.", StringComparison.Ordinal)
            && !kept.Any(p => k.StartsWith(p, StringComparison.Ordinal)))];
    }

    internal static IEnumerable<string> Differences(DrsaConfig expected, DrsaConfig actual)
    {
        foreach (var property in typeof(DrsaConfig).GetProperties())
        {
            if (property.GetCustomAttributes(typeof(JsonIgnoreAttribute), false).Length > 0) continue;
            var a = property.GetValue(expected);
            var b = property.GetValue(actual);
            if (!Equals(a, b)) yield return $"{property.Name} is {b} in the file, {a} configured";
        }
    }

    private static void Require(byte[] bytes, int offset, long count, string path, string what)
    {
        if (offset + count > bytes.Length)
        {
            throw new InvalidDataException(
                $"{path} is truncated: {what} need {count} bytes at offset {offset}, the file has {bytes.Length} bytes in all.");
        }
    }

    private static int ReadInt32(byte[] bytes, ref int offset, string path)
    {
        Require(bytes, offset, 4, path, "the header");
        int value = BitConverter.ToInt32(bytes, offset);
        offset += 4;
        return value;
    }

    private static long ReadInt64(byte[] bytes, ref int offset, string path)
    {
        Require(bytes, offset, 8, path, "the header");
        long value = BitConverter.ToInt64(bytes, offset);
        offset += 8;
        return value;
    }
}
