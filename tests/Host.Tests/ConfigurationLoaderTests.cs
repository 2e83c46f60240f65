using ReId.Host.Configuration;
using ReId.Host.Pipeline.Adapters;

namespace ReId.Host.Tests;

public sealed class ConfigurationLoaderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp()
    {
        _dir = Directory.CreateTempSubdirectory("reid-config-").FullName;
        File.WriteAllBytes(Path.Combine(_dir, "cam.avi"), [0]);
    }

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        var path = Path.Combine(_dir, "reid.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Test]
    public void Load_EmptyObject_GivesDefaults()
    {
        var options = ConfigurationLoader.Load(Write("{}"));

        Assert.That(options.Http.Address, Is.EqualTo("127.0.0.1"));
        Assert.That(options.Http.ApiKey, Is.Null);
        Assert.That(options.Detection.Detector, Is.EqualTo("auto"));
        Assert.That(options.Store.Kind, Is.EqualTo("embedded"));
        Assert.That(options.Store.Path, Is.EqualTo(Path.Combine(_dir, "reid-data")), "relative paths are taken from the file's folder");
    }

    [Test]
    public void Load_FullFile_ReadsEverySection()
    {
        var options = ConfigurationLoader.Load(Write("""
            {
              "Cameras": [ { "Id": "gate", "Url": "cam.avi", "Pace": "fast", "Width": 640, "Height": 360 },
                           { "Id": "hall", "Url": "rtsp://user:secret@10.0.0.5/stream", "Transport": "udp",
                             "ReconnectMaxDelay": "00:01:00", "StallTimeout": "00:00:05", "FfmpegPath": "/opt/ffmpeg/bin/ffmpeg" } ],
              "Detection": { "Detector": "hog", "FpsPerCamera": 5, "BatchSize": 2 },
              "Tracking": { "LostAfterSeconds": 2, "SamplesPerTracklet": 6 },
              "Encoder": { "Device": "auto", "BatchSize": 4 },
              "Store": { "Kind": "qdrant", "QdrantUrl": "http://qdrant:6334", "Collection": "site1" },
              "Linking": { "MinScore": 0.6, "DefaultK": 5 },
              "Http": { "Address": "0.0.0.0", "Port": 9000, "ApiKey": "0123456789abcdef0123" }
            }
            """));

        Assert.That(options.Cameras, Has.Count.EqualTo(2));
        Assert.That(options.Cameras[0].Url, Is.EqualTo(Path.Combine(_dir, "cam.avi")));
        Assert.That(options.Cameras[1].Transport, Is.EqualTo("udp"));
        var live = CameraAdapter.ToOptions(options.Cameras[1]);
        Assert.That(live.ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(live.StallTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(live.FfmpegPath, Is.EqualTo("/opt/ffmpeg/bin/ffmpeg"));
        Assert.That(options.Detection.FpsPerCamera, Is.EqualTo(5));
        Assert.That(options.Tracking.SamplesPerTracklet, Is.EqualTo(6));
        Assert.That(options.Store.Collection, Is.EqualTo("site1"));
        Assert.That(options.Linking.DefaultK, Is.EqualTo(5));
        Assert.That(options.Http.Port, Is.EqualTo(9000));
    }

    [Test]
    public void Load_DockerExampleConfiguration_IsValidWithEverySection()
    {
        var options = ConfigurationLoader.Load(Path.Combine(SharedData.RepoRoot, "docker", "reid.json"));

        Assert.That(options.Cameras, Has.Count.EqualTo(2));
        Assert.That(options.Store.Kind, Is.EqualTo("qdrant"));
        Assert.That(options.Http.Address, Is.EqualTo("0.0.0.0"));
    }

    [TestCase("""{ "Detection": { "FpsPerCamera": 0 } }""", "Detection:FpsPerCamera", "'0'")]
    [TestCase("""{ "Detection": { "Detector": "sift" } }""", "Detection:Detector", "'sift'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Transport": "http" } ] }""", "Cameras:0:Transport", "'http'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "missing.avi" } ] }""", "Cameras:0:Url", "missing.avi")]
    [TestCase("""{ "Cameras": [ { "Id": "a b", "Url": "cam.avi" } ] }""", "Cameras:0:Id", "'a b'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi" }, { "Id": "a", "Url": "cam.avi" } ] }""", "Cameras:1:Id", "'a'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Width": 641, "Height": 360 } ] }""", "Cameras:0:Width", "'641'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "ReconnectInitialDelay": "00:00:05", "ReconnectMaxDelay": "00:00:01" } ] }""", "Cameras:0:ReconnectMaxDelay", "'00:00:01'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "StallTimeout": "00:00:00" } ] }""", "Cameras:0:StallTimeout", "'00:00:00'")]
    [TestCase("""{ "Encoder": { "Device": "tpu" } }""", "Encoder:Device", "'tpu'")]
    [TestCase("""{ "Encoder": { "CpuThreads": -1 } }""", "Encoder:CpuThreads", "'-1'")]
    [TestCase("""{ "Store": { "Kind": "qdrant", "QdrantUrl": "qdrant:6334" } }""", "Store:QdrantUrl", "'qdrant:6334'")]
    [TestCase("""{ "Linking": { "MinScore": 2 } }""", "Linking:MinScore", "'2'")]
    [TestCase("""{ "Http": { "Address": "example.org" } }""", "Http:Address", "'example.org'")]
    [TestCase("""{ "Http": { "Port": 70000 } }""", "Http:Port", "'70000'")]
    [TestCase("""{ "Tracking": { "SamplesPerTracklet": 0 } }""", "Tracking:SamplesPerTracklet", "'0'")]
    public void Load_BadValue_NamesKeyAndValue(string json, string key, string value)
    {
        var path = Write(json);

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain(key).And.Contain(value));
    }

    [Test]
    public void Load_ValueOfWrongType_NamesKeyAndValue()
    {
        var path = Write("""{ "Detection": { "BatchSize": "many" } }""");

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("Detection:BatchSize").And.Contain("many"));
    }

    [Test]
    public void Load_MisspelledKey_NamesIt()
    {
        var path = Write("""{ "Detection": { "BatchSise": 3 } }""");

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("BatchSise"));
    }

    [Test]
    public void Load_UnknownSection_ListsTheSections()
    {
        var path = Write("""{ "Detector": { } }""");

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("'Detector'").And.Contain("Detection"));
    }

    [Test]
    public void Load_ShortApiKey_DoesNotEchoTheKey()
    {
        var path = Write("""{ "Http": { "ApiKey": "hunter2" } }""");

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("Http:ApiKey").And.Not.Contain("hunter2"));
    }

    [Test]
    public void Load_BrokenJson_SaysSo()
    {
        var path = Write("""{ "Http": { """);

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("not valid JSON"));
    }

    [Test]
    public void Load_MissingFile_NamesIt()
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Path.Combine(_dir, "nope.json")));

        Assert.That(e!.Message, Does.Contain("nope.json"));
    }

    [TestCase("default")]
    [TestCase("untrained")]
    public void Load_EncoderModelKeyword_KeptAsIsNotTakenForAFile(string keyword)
    {
        var options = ConfigurationLoader.Load(Write($$"""{ "Encoder": { "ModelPath": "{{keyword}}" } }"""));

        Assert.That(options.Encoder.ModelPath, Is.EqualTo(keyword));
    }

    [Test]
    public void Load_EncoderModelFileMissing_NamesKeyAndValue()
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write("""{ "Encoder": { "ModelPath": "site.reid" } }""")));

        Assert.That(e!.Message, Does.Contain("Encoder:ModelPath").And.Contain("site.reid").And.Contain("untrained"));
    }

    [TestCase("cam.avi", "fast", true)]
    [TestCase("cam.avi", "realtime", false)]
    [TestCase("rtsp://cam.local/live", "fast", false)]
    public void CameraOptions_FastFileOnly_WaitsWhenQueueFull(string url, string pace, bool waits)
    {
        var section = new CameraSection { Id = "c", Url = url, Pace = pace };

        var options = ReId.Host.Pipeline.Adapters.CameraAdapter.ToOptions(section);

        Assert.That(options.WhenQueueFull, Is.EqualTo(waits ? ReId.Ingest.QueueFullMode.Wait : ReId.Ingest.QueueFullMode.DropOldest));
    }
}
