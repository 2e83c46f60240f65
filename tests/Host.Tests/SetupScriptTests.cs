using System.Diagnostics;
using System.Security.Cryptography;

namespace ReId.Host.Tests;

/// <summary>
/// <c>./setup.sh --models</c>, the one download step for the YOLOX model, fed a local file (<c>--from</c>) in a copy of
/// the script: never the network.
/// </summary>
public sealed class SetupScriptTests
{
    private string _dir = "";
    private string _model = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("reid-setup-").FullName;
        File.Copy(Path.Combine(TestPaths.RepoRoot, "setup.sh"), Path.Combine(_dir, "setup.sh"));
        _model = Path.Combine(_dir, "download.onnx");
        File.WriteAllBytes(_model, [0x08, 0x07, 0x12, 0x07, .. "pytorch"u8]);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public async Task Models_ChecksumDiffers_RefusedAndNothingWritten()
    {
        var wrong = new string('0', 64);

        var (exitCode, output) = await RunAsync("--models", "--from", _model, "--sha256", wrong);

        Assert.That(exitCode, Is.EqualTo(1), output);
        Assert.That(output, Does.Contain("refused").And.Contain(Sha256(_model)).And.Contain(wrong));
        Assert.That(Directory.GetFiles(Path.Combine(_dir, "models")), Is.Empty, "neither the model nor a partial download is left");
    }

    [Test]
    public async Task Models_ChecksumMatches_ModelInModelsFolder()
    {
        var (exitCode, output) = await RunAsync("--models", "--from", _model, "--sha256", Sha256(_model).ToUpperInvariant());

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(File.ReadAllBytes(Path.Combine(_dir, "models", "yolox_nano.onnx")), Is.EqualTo(File.ReadAllBytes(_model)));
    }

    [Test]
    public async Task Models_NoChecksumGiven_PrintsTheFilesChecksumToCompare()
    {
        var (exitCode, output) = await RunAsync("--models", "--from", _model);

        Assert.That(exitCode, Is.Zero, output);
        Assert.That(output, Does.Contain(Sha256(_model)).And.Contain("releases/tag/0.1.1rc0"));
    }

    [TestCase("--sha256", "1234", "'1234' is not a SHA-256")]
    [TestCase("--frm", "x", "unknown argument '--frm'")]
    public async Task Models_BadArgument_ExitCode2NamingIt(string option, string value, string expected)
    {
        var (exitCode, output) = await RunAsync("--models", option, value);

        Assert.That(exitCode, Is.EqualTo(2), output);
        Assert.That(output, Does.Contain(expected));
        Assert.That(Directory.Exists(Path.Combine(_dir, "models")), Is.False);
    }

    private static string Sha256(string path) => Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(path)));

    private async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = _dir };
        start.ArgumentList.Add(Path.Combine(_dir, "setup.sh"));
        foreach (var a in args)
        {
            start.ArgumentList.Add(a);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return (process.ExitCode, await stdout + await stderr);
    }
}
