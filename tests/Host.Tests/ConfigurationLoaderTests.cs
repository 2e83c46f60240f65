using System.Reflection;
using System.Text.RegularExpressions;
using ReId.Detection;
using ReId.Host.Configuration;
using ReId.Host.Pipeline;
using ReId.Ingest;
using ReId.ReidEncoder;
using ReId.Search;
using ReId.Tracking;

namespace ReId.Host.Tests;

[NonParallelizable]
public sealed partial class ConfigurationLoaderTests
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
    public void Load_EmptyObject_GivesEachStagesDefaults()
    {
        var options = ConfigurationLoader.Load(Write("{}"));

        Assert.That(options.Http.Address, Is.EqualTo("127.0.0.1"));
        Assert.That(options.Http.ApiKey, Is.Null);
        Assert.That(options.Detection.Detector, Is.EqualTo("auto"));
        Assert.That(options.Search.Store, Is.EqualTo("embedded"));
        Assert.That(options.Search.Directory, Is.EqualTo(Path.Combine(_dir, "data", "search")), "relative paths are taken from the file's folder");
        Assert.That(options.Search.Retention.CropMaxAge, Is.EqualTo(TimeSpan.FromDays(7)));
        Assert.That(options.Pipeline.ShutdownTimeout, Is.EqualTo(TimeSpan.FromSeconds(30)));
    }

    [Test]
    public void Load_FullFile_ReadsEverySectionIntoTheStagesOptions()
    {
        var options = ConfigurationLoader.Load(Write("""
            {
              "Cameras": [ { "Id": "gate", "Url": "cam.avi", "Pace": "fast", "Width": 640, "Height": 360 },
                           { "Id": "hall", "Url": "rtsp://user:secret@10.0.0.5/stream", "Transport": "udp",
                             "ReconnectMaxDelay": "00:01:00", "StallTimeout": "00:00:05", "FfmpegPath": "/opt/ffmpeg/bin/ffmpeg" } ],
              "Detection": { "Detector": "hog", "ExecutionProvider": "cuda", "FallBackToCpu": false, "BatchSize": 2 },
              "Tracking": { "LostTrackBuffer": "00:00:02", "SamplesPerTracklet": 6, "MinFrames": 3 },
              "Encoder": { "Device": "cuda:1", "MaxBatchTracklets": 4, "FlipAverage": true },
              "Search": { "Store": "qdrant", "Qdrant": { "Url": "http://qdrant:6334", "CollectionPrefix": "site1" },
                          "Retention": { "CropMaxAge": "2.00:00:00" },
                          "Linking": { "Window": "00:10:00", "Candidates": 7, "OverlappingCameras": [ { "A": "gate", "B": "hall" } ] },
                          "WhereElse": { "K": 5 } },
              "Pipeline": { "DetectionFpsPerCamera": 5, "MaxRestarts": 1, "ShutdownTimeout": "00:00:10" },
              "Http": { "Address": "0.0.0.0", "Port": 9000, "ApiKey": "0123456789abcdef0123" }
            }
            """));

        Assert.That(options.Cameras, Has.Count.EqualTo(2));
        Assert.That(options.Cameras[0].Url, Is.EqualTo(Path.Combine(_dir, "cam.avi")));
        Assert.That(options.Cameras[0].QueueFullBehaviour, Is.EqualTo(QueueFullMode.Wait), "a file read fast waits: nothing dropped");
        Assert.That(options.Cameras[1].Transport, Is.EqualTo(RtspTransport.Udp));
        Assert.That(options.Cameras[1].QueueFullBehaviour, Is.EqualTo(QueueFullMode.DropOldest));
        Assert.That(options.Cameras[1].ReconnectMaxDelay, Is.EqualTo(TimeSpan.FromMinutes(1)));
        Assert.That(options.Cameras[1].StallTimeout, Is.EqualTo(TimeSpan.FromSeconds(5)));
        Assert.That(options.Cameras[1].FfmpegPath, Is.EqualTo("/opt/ffmpeg/bin/ffmpeg"));
        Assert.That((options.Detection.ExecutionProvider, options.Detection.FallBackToCpu), Is.EqualTo(("cuda", false)));
        Assert.That(options.Tracking.SamplesPerTracklet, Is.EqualTo(6));
        Assert.That(options.Tracking.LostTrackBuffer, Is.EqualTo(TimeSpan.FromSeconds(2)));
        Assert.That(options.Encoder.Device, Is.EqualTo("cuda:1"));
        Assert.That(options.Encoder.FlipAverage, Is.True);
        Assert.That(options.Search.Qdrant.CollectionPrefix, Is.EqualTo("site1"));
        Assert.That(options.Search.Retention.CropMaxAge, Is.EqualTo(TimeSpan.FromDays(2)));
        Assert.That(options.Search.Linking.Candidates, Is.EqualTo(7));
        Assert.That(options.Search.Linking.OverlappingCameras.Single().B, Is.EqualTo("hall"));
        Assert.That(options.Search.WhereElse.K, Is.EqualTo(5));
        Assert.That(options.Pipeline.MaxRestarts, Is.EqualTo(1));
        Assert.That(options.Http.Port, Is.EqualTo(9000));
    }

    [Test]
    public void Load_EnvironmentVariables_LayerOverTheFile()
    {
        var path = Write("""{ "Http": { "Port": 9000 }, "Cameras": [ { "Id": "gate", "Url": "rtsp://viewer@10.0.0.5/live" } ] }""");
        string[] names = ["REID__Http__ApiKey", "REID__Http__Port", "REID__Cameras__0__Url"];
        try
        {
            Environment.SetEnvironmentVariable(names[0], "from-the-environment-0123456789");
            Environment.SetEnvironmentVariable(names[1], "9100");
            Environment.SetEnvironmentVariable(names[2], "rtsp://viewer:s3cret@10.0.0.5/live");

            var options = ConfigurationLoader.Load(path);

            Assert.That(options.Http.ApiKey, Is.EqualTo("from-the-environment-0123456789"));
            Assert.That(options.Http.Port, Is.EqualTo(9100));
            Assert.That(options.Cameras[0].Url, Is.EqualTo("rtsp://viewer:s3cret@10.0.0.5/live"));
        }
        finally
        {
            foreach (var name in names)
            {
                Environment.SetEnvironmentVariable(name, null);
            }
        }
    }

    [Test]
    public void Load_BadValueFromTheEnvironment_NamesTheKey()
    {
        try
        {
            Environment.SetEnvironmentVariable("REID__Pipeline__MaxRestarts", "-1");

            var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write("{}")));

            Assert.That(e!.Message, Does.Contain("Pipeline:MaxRestarts").And.Contain("'-1'"));
        }
        finally
        {
            Environment.SetEnvironmentVariable("REID__Pipeline__MaxRestarts", null);
        }
    }

    [TestCase("""{ "Pipeline": { "DetectionFpsPerCamera": 0 } }""", "Pipeline:DetectionFpsPerCamera", "'0'")]
    [TestCase("""{ "Pipeline": { "ShutdownTimeout": "00:00:00" } }""", "Pipeline:ShutdownTimeout", "'00:00:00'")]
    [TestCase("""{ "Detection": { "Detector": "sift" } }""", "Detection:Detector", "'sift'")]
    [TestCase("""{ "Detection": { "ExecutionProvider": "tpu" } }""", "Detection:ExecutionProvider", "'tpu'")]
    [TestCase("""{ "Detection": { "Detector": "yolox", "ModelPath": "none.onnx" } }""", "Detection:ModelPath", "none.onnx")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Transport": "7" } ] }""", "Cameras:0:Transport", "'7'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "missing.avi" } ] }""", "Cameras:0:Url", "missing.avi")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "http://admin:s3cret@cam/live" } ] }""", "Cameras:0:Url", "admin:***@")]
    [TestCase("""{ "Cameras": [ { "Id": "a b", "Url": "cam.avi" } ] }""", "Cameras:0:Id", "'a b'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi" }, { "Id": "a", "Url": "cam.avi" } ] }""", "Cameras:1:Id", "'a'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Width": 641, "Height": 360 } ] }""", "Cameras:0:Width", "'641'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "QueueCapacity": 1025 } ] }""", "Cameras:0:QueueCapacity", "'1025'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "ReconnectInitialDelay": "00:00:05", "ReconnectMaxDelay": "00:00:01" } ] }""", "Cameras:0:ReconnectMaxDelay", "'00:00:01'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "StallTimeout": "00:00:00.5" } ] }""", "Cameras:0:StallTimeout", "'00:00:00.5000000'")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "rtsp://cam/live", "WhenQueueFull": "wait" } ] }""", "Cameras:0:WhenQueueFull", "'Wait'")]
    [TestCase("""{ "Encoder": { "Device": "tpu" } }""", "Encoder:Device", "'tpu'")]
    [TestCase("""{ "Encoder": { "CpuThreads": -1 } }""", "Encoder:CpuThreads", "-1")]
    [TestCase("""{ "Search": { "Store": "qdrant", "Qdrant": { "Url": "ftp://qdrant:6334" } } }""", "Search:Qdrant:Url", "'ftp://qdrant:6334/'")]
    [TestCase("""{ "Search": { "Store": "faiss" } }""", "Search:Store", "'faiss'")]
    [TestCase("""{ "Search": { "Linking": { "MinSimilarity": 2 } } }""", "Search:Linking:MinSimilarity", "'2'")]
    [TestCase("""{ "Search": { "Retention": { "CropMaxAge": "00:00:00" } } }""", "Search:Retention:CropMaxAge", "'00:00:00'")]
    [TestCase("""{ "Search": { "Linking": { "OverlappingCameras": [ { "A": "x" } ] } } }""", "Search:Linking:OverlappingCameras:0", "'x,'")]
    [TestCase("""{ "Http": { "Address": "example.org" } }""", "Http:Address", "'example.org'")]
    [TestCase("""{ "Http": { "Port": 70000 } }""", "Http:Port", "'70000'")]
    [TestCase("""{ "Tracking": { "SamplesPerTracklet": 0 } }""", "Tracking:SamplesPerTracklet", "'0'")]
    [TestCase("""{ "Tracking": { "MinFrames": 0 } }""", "Tracking:MinFrames", "'0'")]
    public void Load_BadValue_NamesKeyAndValue(string json, string key, string value)
    {
        var path = Write(json);

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain(key).And.Contain(value));
    }

    [Test]
    public void Load_TwoBadValues_NamesBoth()
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write("""{ "Http": { "Port": -1 }, "Tracking": { "MinFrames": 0 } }""")));

        Assert.That(e!.Message, Does.Contain("Http:Port").And.Contain("Tracking:MinFrames"));
    }

    [Test]
    public void Load_ValueOfWrongType_NamesKeyAndValue()
    {
        var path = Write("""{ "Detection": { "BatchSize": "many" } }""");

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("Detection:BatchSize").And.Contain("many"));
    }

    [TestCase("""{ "Detection": { "BatchSise": 3 } }""", "BatchSise")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Fpz": 3 } ] }""", "Fpz")]
    [TestCase("""{ "Search": { "Qdrant": { "Collection": "x" } } }""", "Collection")]
    public void Load_MisspelledKey_NamesIt(string json, string key)
    {
        var path = Write(json);

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain($"'{key}'"));
    }

    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Fpz": 10 } ] }""",
        "configuration key Cameras:0:Fpz is unknown ('Fpz'): Cameras:0 has Id, Url,")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Fps": "fast" } ] }""",
        "configuration key Cameras:0:Fps has the bad value 'fast': expected a number (e.g. 10 or 0.5)")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi" }, { "Id": "b", "Url": "cam.avi", "ReconnectInitialDelay": "5s" } ] }""",
        "configuration key Cameras:1:ReconnectInitialDelay has the bad value '5s': expected a time span written [d.]hh:mm:ss[.fff] (e.g. 00:00:05 for 5 seconds)")]
    [TestCase("""{ "Cameras": [ { "Id": "a", "Url": "cam.avi", "Transport": "quic" } ] }""",
        "configuration key Cameras:0:Transport has the bad value 'quic': expected one of tcp, udp")]
    [TestCase("""{ "Cameras": { "Id": "a", "Url": "cam.avi" } }""",
        "configuration key Cameras holds an object ({ \"Id\": ... }): expected a list ([ { ... }, ... ])")]
    [TestCase("""{ "Http": null }""", "configuration section Http is null: give an object ({ ... }), or leave the section out for its defaults")]
    [TestCase("""{ "Http": 8080 }""", "configuration section Http has the bad value '8080': expected an object (")]
    [TestCase("""{ "Search": { "Retention": "forever" } }""", "configuration key Search:Retention has the bad value 'forever': expected an object (")]
    [TestCase("""{ "Pipeline": { "MaxRestarts": { "Count": 3 } } }""", "configuration key Pipeline:MaxRestarts holds an object: expected a whole number")]
    public void Load_BadShape_NamesKeyPathValueAndWhatIsExpected(string json, string expected)
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write(json)));

        Assert.That(e!.Message, Does.Contain(expected));
    }

    [Test]
    public void Load_BrokenJson_SaysTheLineAndPosition()
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write("{\n  \"Http\": {\n    \"Port\": 80,,\n  }\n}")));

        Assert.That(e!.Message, Does.Contain("not valid JSON at line 3, position"));
    }

    [Test]
    public void Load_UnknownSection_ListsTheSections()
    {
        var path = Write("""{ "Detector": { } }""");

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(path));

        Assert.That(e!.Message, Does.Contain("'Detector'").And.Contain("Detection").And.Contain("Pipeline"));
    }

    [Test]
    public void Load_SectionOfAnEarlierVersion_SaysWhereItsKeysWent()
    {
        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Load(Write("""{ "Store": { "Kind": "qdrant" } }""")));

        Assert.That(e!.Message, Does.Contain("'Store'").And.Contain("Search:Store"));
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

    [Test]
    public void Validate_OptionsBuiltInCode_UsesTheSameRules()
    {
        var settings = new ServiceSettings();
        settings.Cameras.Add(new CameraOptions { Id = "a", Url = "rtsp://cam/live", Width = 641 });

        var e = Assert.Throws<ConfigurationException>(() => ConfigurationLoader.Validate(settings));

        Assert.That(e!.Message, Does.Contain("Cameras:0:Width").And.Contain("'641'"));
    }

    /// <summary>Every configuration example in README and docker/, loaded through the real loader.</summary>
    [Test]
    public void Load_EveryConfigurationExampleInReadmeAndDocker_IsValid()
    {
        var examples = new List<(string Where, string Json)>
        {
            ("docker/reid.json", File.ReadAllText(Path.Combine(SharedData.RepoRoot, "docker", "reid.json"))),
        };
        var readme = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "README.md"));
        foreach (Match m in JsonBlock().Matches(readme))
        {
            var json = m.Groups[1].Value.Trim();
            // A fragment such as "Cameras": [ ... ] is a part of the file's top-level object.
            examples.Add(($"README.md block at offset {m.Index}", json.StartsWith('{') ? json : "{ " + json + " }"));
        }

        Assert.That(examples, Has.Count.GreaterThan(2), "README shows configuration examples");
        // Examples that listen beyond loopback need a key, which they get from the environment as compose gives it.
        Environment.SetEnvironmentVariable("REID__Http__ApiKey", "example-key-0123456789");
        using var restore = new EnvironmentRestore("REID__Http__ApiKey");
        foreach (var (where, json) in examples)
        {
            var path = Write(json);
            // File cameras of an example are taken from the file's folder: give them a file.
            foreach (Match url in FileUrl().Matches(json))
            {
                var file = Path.Combine(_dir, url.Groups[1].Value);
                Directory.CreateDirectory(Path.GetDirectoryName(file)!);
                File.WriteAllBytes(file, [0]);
            }

            Assert.DoesNotThrow(() => ConfigurationLoader.Load(path), where);
        }
    }

    /// <summary>README documents every configuration key of every stage's options, as Section:Key.</summary>
    [Test]
    public void Readme_DocumentsEveryConfigurationKey()
    {
        var readme = File.ReadAllText(Path.Combine(SharedData.RepoRoot, "README.md"));
        var keys = new List<string>();
        keys.AddRange(Keys(typeof(CameraOptions), "Cameras:n"));
        keys.AddRange(Keys(typeof(DetectorOptions), DetectorOptions.SectionName));
        keys.AddRange(Keys(typeof(TrackerOptions), TrackerOptions.SectionName));
        keys.AddRange(Keys(typeof(ReidEncoderOptions), ReidEncoderOptions.SectionName));
        keys.AddRange(Keys(typeof(SearchOptions), SearchOptions.SectionName));
        keys.AddRange(Keys(typeof(PipelineOptions), PipelineOptions.SectionName));
        keys.AddRange(Keys(typeof(HttpOptions), HttpOptions.SectionName));

        var missing = keys.Where(k => !readme.Contains($"`{k}`", StringComparison.Ordinal)).ToList();

        Assert.That(missing, Is.Empty, "keys the options classes have and README does not name");
        Assert.That(keys, Has.Count.GreaterThan(60));
    }

    private static IEnumerable<string> Keys(Type type, string prefix)
    {
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.SetMethod!.IsPublic))
        {
            var t = p.PropertyType;
            // Nested sections of this product (Search:Qdrant, ...) are listed key by key; anything else is one key.
            if (t.IsClass && t != typeof(string) && t.Namespace?.StartsWith("ReId", StringComparison.Ordinal) == true && t.Name.EndsWith("Options", StringComparison.Ordinal) ||
                t == typeof(WhereElseDefaults))
            {
                foreach (var k in Keys(t, $"{prefix}:{p.Name}"))
                {
                    yield return k;
                }
            }
            else
            {
                yield return $"{prefix}:{p.Name}";
            }
        }
    }

    private sealed class EnvironmentRestore(string variable) : IDisposable
    {
        public void Dispose() => Environment.SetEnvironmentVariable(variable, null);
    }

    [GeneratedRegex("```json\\s*\\n(.*?)```", RegexOptions.Singleline)]
    private static partial Regex JsonBlock();

    [GeneratedRegex("\"Url\"\\s*:\\s*\"((?![a-z]+://)[^\"/][^\"]*)\"")]
    private static partial Regex FileUrl();
}
