using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using ReId.ReidEncoder;

namespace ReId.Benchmarks;

/// <summary>
/// <c>reid-bench rank</c>: how well the configured encoder ranks real people on CUHK03-style crops
/// (PPPP_KK.jpg, KK 00-04 one camera, 05-09 the other): each person's camera-A set queries all camera-B sets.
/// </summary>
internal static class BenchRankCommand
{
    public static Command Create()
    {
        var data = new Option<string>("--data") { Description = "folder of PPPP_KK.jpg crops", DefaultValueFactory = _ => "../shared/data/cuhk03-detected/train" };
        var ids = new Option<int>("--ids") { Description = "identities to use (first ones by id)", DefaultValueFactory = _ => 100 };
        var model = new Option<string?>("--model") { Description = "model file (default: the built-in Baseline model)" };
        var device = new Option<string>("--device") { Description = "cpu, cuda, cuda:N or auto", DefaultValueFactory = _ => "cpu" };
        var frames = new Option<int>("--frames") { Description = "frames per camera set (N)", DefaultValueFactory = _ => 5 };
        var command = new Command("rank", "Rank-1 and mAP of the encoder on CUHK03 camera pairs against chance; ends with one JSON line.")
        {
            data, ids, model, device, frames,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            try
            {
                return await RunAsync(parse.GetValue(data)!, parse.GetValue(ids), parse.GetValue(model), parse.GetValue(device)!, parse.GetValue(frames), cancellationToken)
                    .ConfigureAwait(false);
            }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException or IOException)
            {
                Console.Error.WriteLine($"bench rank: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static async Task<int> RunAsync(string folder, int count, string? modelPath, string device, int frames, CancellationToken cancellationToken)
    {
        if (!Directory.Exists(folder)) throw new ArgumentException($"--data: folder '{folder}' does not exist.");
        if (count < 2) throw new ArgumentException($"--ids: {count} must be at least 2.");
        var identities = Directory.GetFiles(folder, "*.jpg")
            .Select(f => (File: f, Name: Path.GetFileNameWithoutExtension(f)))
            .Where(x => x.Name.Length == 7 && x.Name[4] == '_' && int.TryParse(x.Name[5..], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .GroupBy(x => x.Name[..4], StringComparer.Ordinal)
            .OrderBy(g => g.Key, StringComparer.Ordinal)
            .Select(g => (
                A: g.Where(x => int.Parse(x.Name[5..], CultureInfo.InvariantCulture) < 5).Select(x => x.File).Order(StringComparer.Ordinal).ToArray(),
                B: g.Where(x => int.Parse(x.Name[5..], CultureInfo.InvariantCulture) >= 5).Select(x => x.File).Order(StringComparer.Ordinal).ToArray()))
            .Where(x => x.A.Length > 0 && x.B.Length > 0)
            .Take(count)
            .ToList();
        if (identities.Count < 2) throw new ArgumentException($"--data: '{folder}' has fewer than 2 identities seen by both cameras.");

        var options = new ReidEncoderOptions { Device = device, ModelPath = modelPath, Architecture = modelPath is null ? new DrsaConfig { Frames = frames } : null };
        await using var encoder = new TrackletEncoder(options);
        Console.WriteLine($"model {encoder.ModelVersion} on {encoder.Device}, {identities.Count} identities, {encoder.Frames} frames per set");
        var queries = await Task.WhenAll(identities.Select(i => encoder.EncodeAsync(i.A.Select(ImageDecoder.Load).ToArray(), cancellationToken))).ConfigureAwait(false);
        var gallery = await Task.WhenAll(identities.Select(i => encoder.EncodeAsync(i.B.Select(ImageDecoder.Load).ToArray(), cancellationToken))).ConfigureAwait(false);

        int g = identities.Count;
        double rank1 = 0, rank5 = 0, ap = 0;
        for (int q = 0; q < g; q++)
        {
            var similarity = gallery.Select(x => x.Zip(queries[q], (a, b) => (double)a * b).Sum()).ToArray();
            int rank = 1 + similarity.Count(v => v > similarity[q]);
            rank1 += rank == 1 ? 1 : 0;
            rank5 += rank <= 5 ? 1 : 0;
            ap += 1.0 / rank; // one true match per query: AP = 1 / its rank
        }
        double chanceAp = Enumerable.Range(1, g).Sum(r => 1.0 / r) / g;
        var result = new Dictionary<string, object>
        {
            ["bench"] = "rank",
            ["model"] = encoder.ModelVersion,
            ["identities"] = g,
            ["rank1"] = Math.Round(rank1 / g, 4),
            ["rank5"] = Math.Round(rank5 / g, 4),
            ["mAP"] = Math.Round(ap / g, 4),
            ["chance_rank1"] = Math.Round(1.0 / g, 4),
            ["chance_rank5"] = Math.Round(Math.Min(5, g) / (double)g, 4),
            ["chance_mAP"] = Math.Round(chanceAp, 4),
        };
        Console.WriteLine($"rank-1 {rank1 / g:P1} (chance {1.0 / g:P1}), rank-5 {rank5 / g:P1}, mAP {ap / g:P1} (chance {chanceAp:P1})");
        Console.WriteLine(JsonSerializer.Serialize(result));
        return 0;
    }
}
