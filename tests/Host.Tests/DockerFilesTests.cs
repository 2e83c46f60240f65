using System.Text.RegularExpressions;
using System.Xml.Linq;
using ReId.Host.Configuration;

namespace ReId.Host.Tests;

/// <summary>
/// What can be checked of docker/ without a container engine: the paths the Dockerfiles copy and build and the files
/// compose mounts exist, the mounted configuration loads with compose's environment, ports and versions agree.
/// compose.yaml is read line by line (no YAML library is served): the checks name the lines they expect.
/// </summary>
[NonParallelizable] // sets compose's environment variables for the loader
public sealed partial class DockerFilesTests
{
    private static string Docker => Path.Combine(TestPaths.RepoRoot, "docker");

    private static string[] Lines(string file) => File.ReadAllLines(Path.Combine(Docker, file));

    [TestCase("Dockerfile.service", "src/Host/Host.csproj", "reid")]
    [TestCase("Dockerfile.trainer", "src/Trainer/Trainer.csproj", "reid-train")]
    public void Dockerfile_PublishesAnExistingProjectForLinuxX64OnNoble(string dockerfile, string project, string assembly)
    {
        var lines = Lines(dockerfile);
        var froms = lines.Where(l => l.StartsWith("FROM ", StringComparison.Ordinal)).ToList();
        var copies = lines.Where(l => l.StartsWith("COPY ", StringComparison.Ordinal) && !l.Contains("--from=", StringComparison.Ordinal));

        Assert.That(froms.Where(f => f.Contains("mcr.microsoft.com/dotnet/", StringComparison.Ordinal)),
            Has.All.Contains(":10.0-noble"), ".NET 10's images are Ubuntu noble (there are no bookworm ones)");
        Assert.That(lines.Where(l => l.Contains("/dotnet/", StringComparison.Ordinal) && l.Contains("COPY --from=", StringComparison.Ordinal)),
            Has.All.Contains(":10.0-noble"));
        foreach (var copy in copies)
        {
            var source = copy.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
            Assert.That(Path.Combine(TestPaths.RepoRoot, source), Does.Exist, copy);
        }

        var publish = lines.Single(l => l.Contains("dotnet publish", StringComparison.Ordinal));
        Assert.That(publish, Does.Contain(project).And.Contain("-r linux-x64"));
        Assert.That(File.Exists(Path.Combine(TestPaths.RepoRoot, project)), Is.True, project);
        var assemblyName = XDocument.Load(Path.Combine(TestPaths.RepoRoot, project)).Descendants("AssemblyName").Single().Value;
        Assert.That(assemblyName, Is.EqualTo(assembly));
        Assert.That(lines.Single(l => l.StartsWith("ENTRYPOINT", StringComparison.Ordinal)), Does.Contain($"/app/{assembly}.dll"));
        Assert.That(lines.Where(l => l.Contains("apt-get install", StringComparison.Ordinal)), Has.All.Contains("libgtk-3-0t64"),
            "noble names GTK 3 libgtk-3-0t64");
    }

    [Test]
    public void ServiceImage_PortsAndHealthcheckAgreeWithComposeAndConfig()
    {
        var dockerfile = Lines("Dockerfile.service");
        var compose = Lines("compose.yaml");
        var settings = LoadMountedConfig(compose);

        var exposed = int.Parse(dockerfile.Single(l => l.StartsWith("EXPOSE ", StringComparison.Ordinal))[7..], System.Globalization.CultureInfo.InvariantCulture);
        var published = compose.Select(l => PublishedPort().Match(l)).Single(m => m.Success);
        var healthcheck = dockerfile.Single(l => l.StartsWith("HEALTHCHECK", StringComparison.Ordinal));

        Assert.That(settings.Http.Port, Is.EqualTo(exposed), "Http:Port of the mounted config is the port the image exposes");
        Assert.That(int.Parse(published.Groups["container"].Value, System.Globalization.CultureInfo.InvariantCulture), Is.EqualTo(exposed));
        Assert.That(settings.Http.Address, Is.EqualTo("0.0.0.0"), "inside a container the service listens beyond loopback");
        Assert.That(healthcheck, Does.Contain($"/dev/tcp/127.0.0.1/{exposed}").And.Contain("GET /healthz/ready "), "the healthcheck asks readiness");
    }

    [Test]
    public void Compose_QdrantServiceMatchesTheConfigAndTheClientsMinorVersion()
    {
        var compose = Lines("compose.yaml");
        var settings = LoadMountedConfig(compose);
        var image = compose.Select(l => QdrantImage().Match(l)).Single(m => m.Success);
        var client = XDocument.Load(Path.Combine(TestPaths.RepoRoot, "Directory.Packages.props")).Descendants("PackageVersion")
            .Single(p => (string?)p.Attribute("Include") == "Qdrant.Client").Attribute("Version")!.Value;

        Assert.That(settings.Search.Store, Is.EqualTo("qdrant"));
        var url = settings.Search.Qdrant.Url;
        Assert.That(url.Host, Is.EqualTo("qdrant"), "the compose service's name");
        Assert.That(compose.Select(l => l.Trim()), Has.Some.EqualTo($"- \"{url.Port}\""), "the gRPC port compose exposes");
        Assert.That(image.Groups["minor"].Value, Is.EqualTo(string.Join('.', client.Split('.')[..2])), $"Qdrant.Client {client}");
    }

    [Test]
    public void Compose_MountedFilesExistAndSecretsComeFromTheEnvironment()
    {
        var compose = Lines("compose.yaml");
        var mounts = compose.Select(l => BindMount().Match(l)).Where(m => m.Success).ToList();
        var config = File.ReadAllText(Path.Combine(Docker, "reid.json"));

        Assert.That(mounts.Select(m => m.Groups["target"].Value), Is.SupersetOf(new[] { "/config/reid.json", "/models" }));
        foreach (var m in mounts)
        {
            var source = Path.Combine(Docker, m.Groups["source"].Value);
            Assert.That(File.Exists(source) || Directory.Exists(source), Is.True, m.Value);
        }

        Assert.That(compose.Any(l => l.Contains("REID__Http__ApiKey: ${REID_API_KEY:?", StringComparison.Ordinal)), Is.True, "the API key from the environment");
        Assert.That(config, Does.Not.Contain("ApiKey"), "no key in the file");
        Assert.That(Regex.IsMatch(config, "rtsp://[^/\"]*:[^/\"]*@"), Is.False, "no camera password in the file");
    }

    /// <summary>The config compose mounts at /config/reid.json, loaded as the container would: compose's environment over it.</summary>
    private static ServiceSettings LoadMountedConfig(string[] compose)
    {
        var mount = compose.Select(l => BindMount().Match(l)).Single(m => m.Success && m.Groups["target"].Value == "/config/reid.json");
        Assert.That(compose, Has.Some.Contains("\"--config\", \"/config/reid.json\""), "serve is given the mounted file");
        var environment = compose.Select(l => EnvironmentEntry().Match(l)).Where(m => m.Success).ToDictionary(m => m.Groups["key"].Value, m => m.Groups["value"].Value);
        var saved = environment.Keys.ToDictionary(k => k, Environment.GetEnvironmentVariable);
        try
        {
            foreach (var (key, value) in environment)
            {
                // ${NAME:?message} is required from the user's environment: give a value of the allowed form
                Environment.SetEnvironmentVariable(key, value.StartsWith("${", StringComparison.Ordinal) ? "0123456789abcdef0123" : value);
            }

            return ConfigurationLoader.Load(Path.Combine(Docker, mount.Groups["source"].Value));
        }
        finally
        {
            foreach (var (key, value) in saved)
            {
                Environment.SetEnvironmentVariable(key, value);
            }
        }
    }

    [GeneratedRegex("""^\s*-\s*"(?:[\d.]+:)?(?<host>\d+):(?<container>\d+)"\s*$""")]
    private static partial Regex PublishedPort();

    [GeneratedRegex(@"^\s*image:\s*qdrant/qdrant:v(?<minor>\d+\.\d+)\.\d+\s*$")]
    private static partial Regex QdrantImage();

    [GeneratedRegex(@"^\s*-\s*(?<source>\./[^:]+):(?<target>/[^:]+)(:ro)?\s*$")]
    private static partial Regex BindMount();

    [GeneratedRegex(@"^\s+(?<key>REID__\w+):\s*(?<value>\S.*?)\s*$")]
    private static partial Regex EnvironmentEntry();
}
