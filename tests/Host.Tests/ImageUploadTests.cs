using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ReId.Host.Http;

namespace ReId.Host.Tests;

/// <summary>Uploaded images: sizes read from the header, decompression bombs refused before any decoding.</summary>
public sealed class ImageUploadTests
{
    [Test]
    public void ReadSize_PngBomb_GivesTheDeclaredSizeOfASmallFile()
    {
        var bomb = Bombs.Png(20000, 20000);

        var size = ImageUpload.ReadSize(bomb, "bomb.png");

        Assert.That(size, Is.EqualTo((20000, 20000)));
        Assert.That(bomb, Has.Length.LessThan(200 * 1024), "a small file that would decode to 1.2 GB of BGR pixels");
    }

    [TestCase(".png")]
    [TestCase(".jpg")]
    public void ReadSize_RealImage_AgreesWithTheDecoder(string extension)
    {
        var bytes = TestImages.Encode(TestImages.Solid(10, 20, 30, 48, 96), extension);

        Assert.That(ImageUpload.ReadSize(bytes, "x"), Is.EqualTo((48, 96)));
    }

    [Test]
    public void Decode_PngBomb_IsRefusedNamingTheLimit()
    {
        var e = Assert.Throws<BadImageException>(() => ImageUpload.Decode(Bombs.Png(20000, 20000), "bomb.png", 2048 * 2048));

        Assert.That(e!.Message, Does.Contain("bomb.png").And.Contain("20000x20000"));
        Assert.That(e.Status, Is.EqualTo(422));
    }

    [Test]
    public void Decode_JpegDeclaring30000Square_IsRefusedBeforeDecoding()
    {
        var bomb = Bombs.Jpeg(30000, 30000);

        var e = Assert.Throws<BadImageException>(() => ImageUpload.Decode(bomb, "big.jpg", 2048 * 2048));

        Assert.That(e!.Message, Does.Contain("30000x30000"));
    }

    [Test]
    public void Decode_OverThePixelBudgetWithinTheSideLimit_NamesHttpMaxSearchPixels()
    {
        var png = Bombs.Png(3000, 3000);

        var e = Assert.Throws<BadImageException>(() => ImageUpload.Decode(png, "wide.png", 2048 * 2048));

        Assert.That(e!.Message, Does.Contain("9000000 pixels").And.Contain("Http:MaxSearchPixels"));
    }

    [Test]
    public void Decode_TruncatedJpeg_IsRefusedAsDamaged()
    {
        var e = Assert.Throws<BadImageException>(() => ImageUpload.Decode([0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 0x4A], "cut.jpg", 2048 * 2048));

        Assert.That(e!.Message, Does.Contain("cut.jpg").And.Contain("damaged"));
    }

    /// <summary>
    /// The service as a user runs it (<c>reid serve</c>, a child process); its peak resident memory (VmHWM) is read
    /// after a real search and again after eight 20000x20000 PNG bombs (four at once, then four in a row). Before the
    /// header check each bomb made it allocate 1.1 GB; now the peak may grow by less than <see cref="BombGrowthBound"/>.
    /// </summary>
    [Test]
    [CancelAfter(180_000)]
    public async Task Service_PngBombs_AreRefusedBeforeDecodingAndThePeakMemoryStaysFlat(CancellationToken cancellationToken)
    {
        const long BombGrowthBound = 64L * 1024 * 1024;
        Assume.That(File.Exists("/proc/self/status"), "peak memory is read from /proc (Linux)");
        var program = Path.Combine(AppContext.BaseDirectory, "reid.dll");
        Assume.That(File.Exists(program), $"the service program {program} is not beside the tests");
        var dir = Directory.CreateTempSubdirectory("reid-bomb-").FullName;
        var config = Path.Combine(dir, "reid.json");
        await File.WriteAllTextAsync(config, """{ "Cameras": [], "Search": { "Directory": "store" }, "Http": { "Port": 0 } }""", cancellationToken);
        var info = new ProcessStartInfo(Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") ?? "dotnet")
        {
            RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = dir,
        };
        foreach (var a in new[] { program, "serve", "--config", config })
        {
            info.ArgumentList.Add(a);
        }

        using var service = Process.Start(info)!;
        var errors = service.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            Uri? address = null;
            while (address is null)
            {
                var line = await service.StandardOutput.ReadLineAsync(cancellationToken)
                           ?? throw new AssertionException($"the service exited: {await errors}");
                // the service's log line "<time> info: ReId.Host.Serve[1] serving N camera(s) at URL (...)"
                if (line.Contains("ReId.Host.Serve[1] serving ", StringComparison.Ordinal))
                {
                    address = new Uri(line.Split(" at ")[1].Split(' ')[0]);
                }
            }

            _ = service.StandardOutput.ReadToEndAsync(cancellationToken);
            using var client = new HttpClient { BaseAddress = address };
            var person = await PostPngAsync(client, TestImages.Encode(TestImages.Solid(30, 40, 200, 64, 128), ".png"), cancellationToken);
            Assert.That(person.StatusCode, Is.EqualTo(HttpStatusCode.OK), "a real search warms the encoder before the baseline is read");
            var before = PeakResidentBytes(service.Id);

            var bomb = Bombs.Png(20000, 20000);
            var clock = Stopwatch.StartNew();
            var responses = (await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => PostPngAsync(client, bomb, cancellationToken)))).ToList();
            for (var i = 0; i < 4; i++)
            {
                responses.Add(await PostPngAsync(client, bomb, cancellationToken));
            }

            var elapsed = clock.Elapsed;
            var after = PeakResidentBytes(service.Id);
            var refused = responses.Where(r => r.StatusCode == HttpStatusCode.UnprocessableEntity).ToList();
            TestContext.Out.WriteLine($"peak RSS {before / 1048576} MB before, {after / 1048576} MB after 8 bombs " +
                                      $"({string.Join(",", responses.Select(r => (int)r.StatusCode))}) in {elapsed.TotalMilliseconds:F0} ms");

            Assert.That(responses.Select(r => r.StatusCode), Is.All.AnyOf(HttpStatusCode.UnprocessableEntity, HttpStatusCode.TooManyRequests));
            Assert.That(refused, Has.Count.GreaterThanOrEqualTo(4), "the four sent one after another are each refused");
            Assert.That(await refused[0].Content.ReadAsStringAsync(cancellationToken), Does.Contain("20000x20000").And.Contain("Http:MaxSearchPixels"));
            Assert.That(after - before, Is.LessThan(BombGrowthBound), "the bombs were never decoded");
        }
        finally
        {
            service.Kill(entireProcessTree: true);
            await service.WaitForExitAsync(CancellationToken.None);
            Directory.Delete(dir, recursive: true);
        }
    }

    private static async Task<HttpResponseMessage> PostPngAsync(HttpClient client, byte[] png, CancellationToken cancellationToken)
    {
        using var form = new MultipartFormDataContent();
        var file = new ByteArrayContent(png);
        file.Headers.ContentType = new MediaTypeHeaderValue("image/png");
        form.Add(file, "images", "person.png");
        var response = await client.PostAsync(new Uri("/api/search", UriKind.Relative), form, cancellationToken);
        await response.Content.LoadIntoBufferAsync(cancellationToken);
        return response;
    }

    /// <summary>The process's peak resident set size so far (VmHWM in /proc/PID/status).</summary>
    private static long PeakResidentBytes(int pid)
    {
        var line = File.ReadLines($"/proc/{pid}/status").Single(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
        return long.Parse(line["VmHWM:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
    }
}

/// <summary>Decompression bombs: tiny files whose headers declare huge pictures.</summary>
internal static class Bombs
{
    /// <summary>A valid 1-bit greyscale PNG of zeros: 20000x20000 is about 49 KB on disk, 1.2 GB once decoded to BGR.</summary>
    public static byte[] Png(int width, int height)
    {
        using var png = new MemoryStream();
        png.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var header = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), height);
        header[8] = 1; // bit depth; colour type 0 (grey), deflate, filter 0, no interlace
        Chunk(png, "IHDR", header);
        using var pixels = new MemoryStream();
        using (var z = new ZLibStream(pixels, CompressionLevel.SmallestSize, leaveOpen: true))
        {
            var row = new byte[1 + ((width + 7) / 8)]; // filter byte 0, then zeros
            for (var y = 0; y < height; y++)
            {
                z.Write(row);
            }
        }

        Chunk(png, "IDAT", pixels.ToArray());
        Chunk(png, "IEND", []);
        return png.ToArray();
    }

    /// <summary>A real small JPEG whose frame header is rewritten to declare <paramref name="width"/>x<paramref name="height"/>.</summary>
    public static byte[] Jpeg(int width, int height)
    {
        var jpeg = TestImages.Encode(TestImages.Solid(1, 2, 3, 32, 32), ".jpg");
        for (var i = 2; i + 9 < jpeg.Length; i++)
        {
            if (jpeg[i] == 0xFF && jpeg[i + 1] is 0xC0 or 0xC2)
            {
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 5), (ushort)height);
                BinaryPrimitives.WriteUInt16BigEndian(jpeg.AsSpan(i + 7), (ushort)width);
                return jpeg;
            }
        }

        throw new InvalidOperationException("the encoder wrote no baseline or progressive frame header");
    }

    private static void Chunk(Stream png, string type, byte[] data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        png.Write(word);
        var typed = Encoding.ASCII.GetBytes(type).Concat(data).ToArray();
        png.Write(typed);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32(typed));
        png.Write(word);
    }

    private static uint Crc32(byte[] data)
    {
        var crc = 0xFFFFFFFFu;
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? (crc >> 1) ^ 0xEDB88320u : crc >> 1;
            }
        }

        return ~crc;
    }
}
