using System.Text.Json;
using Microsoft.Extensions.Logging;
using ReId.Host.Commands;
using ReId.Host.Configuration;

namespace ReId.Host.Tests;

/// <summary>The commands' logging from the configuration's Logging section, and <c>reid config check</c>.</summary>
[NonParallelizable] // replaces Console.Out
public sealed class ServiceLoggingTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("reid-logging-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void Json_FormatterFromConfiguration_OneDatedObjectPerLineAtTheConfiguredLevels()
    {
        var settings = Load("""
            "Logging": { "LogLevel": { "Default": "Warning", "ReId.Ingest": "Debug" }, "Console": { "FormatterName": "json" } }
            """);

        var lines = Capture(settings, factory =>
        {
            factory.CreateLogger("ReId.Ingest.Camera").LogDebug("camera {Camera} connecting", "gate");
            factory.CreateLogger("ReId.Host").LogInformation("not shown: below Default");
            factory.CreateLogger("ReId.Host").LogWarning("shown");
        });

        Assert.That(lines, Has.Length.EqualTo(2), string.Join('\n', lines));
        using var first = JsonDocument.Parse(lines[0]);
        Assert.That(first.RootElement.GetProperty("Category").GetString(), Is.EqualTo("ReId.Ingest.Camera"));
        Assert.That(first.RootElement.GetProperty("State").GetProperty("Camera").GetString(), Is.EqualTo("gate"));
        var time = DateTimeOffset.Parse(first.RootElement.GetProperty("Timestamp").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.That(time, Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)), "a full UTC date and time");
    }

    [Test]
    public void Simple_Default_EveryLineStartsWithItsUtcDateAndTime()
    {
        var lines = Capture(Load(""), factory => factory.CreateLogger("ReId.Host").LogInformation("listening"));

        Assert.That(lines, Has.Length.EqualTo(1), string.Join('\n', lines));
        Assert.That(lines[0], Does.Match(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z info: ReId\.Host\[0\] listening$"));
    }

    [TestCase("\"Console\": { \"FormatterName\": \"xml\" }", "Logging:Console:FormatterName has the bad value 'xml'")]
    [TestCase("\"LogLevel\": { \"Default\": \"Loud\" }", "Logging:LogLevel:Default has the bad value 'Loud'")]
    public void Load_BadLoggingValue_NamesTheKey(string section, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => Load($"\"Logging\": {{ {section} }}"));

        Assert.That(e!.Message, Does.Contain(expected));
    }

    [Test]
    public void ConfigCheck_Effective_DefaultsShownSecretsMasked()
    {
        var settings = Load("""
            "Http": { "ApiKey": "0123456789abcdef-secret" },
            "Search": { "Qdrant": { "ApiKey": "qdrant-secret" } }
            """);

        var json = ConfigCommand.Effective(settings);

        Assert.That(json, Does.Not.Contain("secret"));
        using var doc = JsonDocument.Parse(json);
        Assert.That(doc.RootElement.GetProperty("Http").GetProperty("ApiKey").GetString(), Is.EqualTo("***"));
        Assert.That(doc.RootElement.GetProperty("Cameras")[0].GetProperty("Url").GetString(), Is.EqualTo("rtsp://viewer:***@10.0.0.5/live"));
        Assert.That(doc.RootElement.GetProperty("Pipeline").GetProperty("DetectionFpsPerCamera").GetDouble(), Is.EqualTo(8), "defaults are shown");
    }

    private ServiceSettings Load(string sections)
    {
        var path = Path.Combine(_dir, "reid.json");
        File.WriteAllText(path, $$"""
            { "Cameras": [ { "Id": "gate", "Url": "rtsp://viewer:cam-secret@10.0.0.5/live" } ]{{(sections.Length > 0 ? "," : "")}} {{sections}} }
            """);
        return ConfigurationLoader.Load(path);
    }

    private static string[] Capture(ServiceSettings settings, Action<ILoggerFactory> log)
    {
        var output = new StringWriter();
        var console = Console.Out;
        Console.SetOut(output);
        try
        {
            // disposing the factory flushes the console logger's queue
            using (var factory = ServiceLogging.Create(settings.Logging))
            {
                log(factory);
            }
        }
        finally
        {
            Console.SetOut(console);
        }

        return output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
    }
}
