using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using ReId.Detection;
using ReId.Host.Pipeline;
using ReId.Ingest;
using ReId.ReidEncoder;
using ReId.Search;
using ReId.Tracking;

namespace ReId.Host.Configuration;

/// <summary>A configuration that cannot be used; the message names the key and the bad value.</summary>
public sealed class ConfigurationException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Reads the service's configuration: the JSON file, then environment variables <c>REID__Section__Key</c> over it
/// (e.g. <c>REID__Http__ApiKey</c>, <c>REID__Cameras__0__Url</c>), so secrets need not sit in the file. Each stage
/// binds its own section (<see cref="AddServiceOptions"/>); every value is validated once, by the stage's validator.
/// </summary>
public static class ConfigurationLoader
{
    /// <summary>Prefix of the environment variables read over the file.</summary>
    public const string EnvironmentPrefix = "REID__";

    /// <summary>Microsoft.Extensions.Logging's section: levels and the console formatter (Commands/ServiceLogging.cs).</summary>
    public const string LoggingSection = "Logging";

    /// <summary>The top-level sections, each owned by one stage (Pipeline, Http and Logging by the Host).</summary>
    public static IReadOnlyList<string> Sections { get; } =
    [
        IngestOptions.SectionName, DetectorOptions.SectionName, TrackerOptions.SectionName, ReidEncoderOptions.SectionName,
        SearchOptions.SectionName, PipelineOptions.SectionName, HttpOptions.SectionName, LoggingSection,
    ];

    // What each section binds to (Cameras is a list of cameras), for the shape check before binding.
    private static readonly Dictionary<string, Type> SectionTypes = new(StringComparer.OrdinalIgnoreCase)
    {
        [IngestOptions.SectionName] = typeof(List<CameraOptions>),
        [DetectorOptions.SectionName] = typeof(DetectorOptions),
        [TrackerOptions.SectionName] = typeof(TrackerOptions),
        [ReidEncoderOptions.SectionName] = typeof(ReidEncoderOptions),
        [SearchOptions.SectionName] = typeof(SearchOptions),
        [PipelineOptions.SectionName] = typeof(PipelineOptions),
        [HttpOptions.SectionName] = typeof(HttpOptions),
    };

    // Sections of earlier versions, with where their keys went.
    private static readonly Dictionary<string, string> Moved = new(StringComparer.OrdinalIgnoreCase)
    {
        ["Store"] = "the store is configured in Search (Search:Store, Search:Directory, Search:Qdrant:Url, Search:Qdrant:CollectionPrefix, Search:KeepCrops, Search:Retention)",
        ["Linking"] = "linking and where-else defaults are in Search (Search:Linking:MinSimilarity, Search:WhereElse:MinSimilarity, Search:WhereElse:K)",
    };

    /// <summary>Loads and validates <paramref name="path"/> with the environment over it; relative paths inside it are
    /// resolved against its folder.</summary>
    /// <exception cref="ConfigurationException">The file is missing or not JSON, a key is unknown, or a value is bad.</exception>
    public static ServiceSettings Load(string path)
    {
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new ConfigurationException($"configuration file '{path}' does not exist");
        }

        IConfigurationRoot root;
        try
        {
            root = new ConfigurationBuilder()
                .AddJsonFile(full, optional: false, reloadOnChange: false)
                .AddEnvironmentVariables(EnvironmentPrefix)
                .Build();
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            // The parser's own message ("... LineNumber: 3 | BytePositionInLine: 12.") is the inner one: it says where.
            var json = e as System.Text.Json.JsonException;
            for (var x = e.InnerException; x is not null && json is null; x = x.InnerException)
            {
                json = x as System.Text.Json.JsonException;
            }

            var where = json is { LineNumber: { } line, BytePositionInLine: { } position } ? $" at line {line + 1}, position {position + 1}" : "";
            throw new ConfigurationException($"configuration file '{path}' is not valid JSON{where}: {json?.Message ?? e.Message}", e);
        }

        RefuseNullSections(full);
        return Bind(root, Path.GetDirectoryName(full)!);
    }

    /// <summary>The configuration reads <c>"Http": null</c> as an absent section (all defaults): say so instead.</summary>
    private static void RefuseNullSections(string file)
    {
        using var document = System.Text.Json.JsonDocument.Parse(File.ReadAllBytes(file),
            new System.Text.Json.JsonDocumentOptions { CommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true });
        if (document.RootElement.ValueKind != System.Text.Json.JsonValueKind.Object)
        {
            throw new ConfigurationException($"configuration file '{file}' holds {document.RootElement.ValueKind.ToString().ToLowerInvariant()}: expected an object ({{ \"Cameras\": [...], \"Http\": {{...}}, ... }})");
        }

        var nulls = document.RootElement.EnumerateObject().Where(p => p.Value.ValueKind == System.Text.Json.JsonValueKind.Null).Select(p => p.Name).ToList();
        if (nulls.Count > 0)
        {
            throw new ConfigurationException(string.Join("; ", nulls.Select(n =>
                $"configuration section {n} is null: give an object ({{ ... }}), or leave the section out for its defaults")));
        }
    }

    /// <summary>Binds and validates an already built configuration; relative paths are taken from <paramref name="baseDirectory"/>.</summary>
    /// <exception cref="ConfigurationException">A key is unknown or a value is bad.</exception>
    public static ServiceSettings Bind(IConfiguration configuration, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var section in configuration.GetChildren())
        {
            if (!Sections.Contains(section.Key, StringComparer.OrdinalIgnoreCase))
            {
                var moved = Moved.TryGetValue(section.Key, out var where) ? $" ({where})" : "";
                throw new ConfigurationException(
                    $"configuration section '{section.Key}' is unknown{moved}; the sections are {string.Join(", ", Sections)}");
            }
        }

        if (ConfigurationShape.Check(configuration, SectionTypes) is { Count: > 0 } shape)
        {
            throw new ConfigurationException(string.Join("; ", shape));
        }

        var logging = configuration.GetSection(LoggingSection);
        var loggingErrors = logging.Exists() ? Commands.ServiceLogging.Check(logging).ToList() : [];
        if (loggingErrors.Count > 0)
        {
            throw new ConfigurationException(string.Join("; ", loggingErrors));
        }

        var services = new ServiceCollection();
        AddServiceOptions(services, configuration, baseDirectory);
        using var provider = services.BuildServiceProvider();
        var settings = Resolve(provider);
        settings.Logging = logging.Exists() ? logging : null;
        return settings;
    }

    /// <summary>
    /// Registers every stage's options: bound from its section (unknown keys are errors), relative paths resolved
    /// against <paramref name="baseDirectory"/>, validated once at start (<c>ValidateOnStart</c>).
    /// </summary>
    public static IServiceCollection AddServiceOptions(IServiceCollection services, IConfiguration configuration, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        services.AddIngest(configuration).PostConfigure(o =>
        {
            foreach (var c in o.Cameras)
            {
                if (!string.IsNullOrWhiteSpace(c.Url) && !c.Url.Contains("://", StringComparison.Ordinal))
                {
                    c.Url = ResolvePath(c.Url, baseDirectory);
                }
            }
        });
        services.AddDetection(configuration).PostConfigure(o => o.ModelPath = ResolvePath(o.ModelPath, baseDirectory));
        services.AddTracking(configuration);
        AddEncoderOptions(services, configuration).PostConfigure(o =>
        {
            if (!DefaultEncoderModel.IsKeyword(o.ModelPath))
            {
                o.ModelPath = ResolvePath(o.ModelPath!, baseDirectory);
            }
        });
        services.AddSearch(configuration).PostConfigure(o =>
        {
            o.Directory = ResolvePath(o.Directory, baseDirectory);
            o.Qdrant.SideStorePath = ResolvePath(o.Qdrant.SideStorePath, baseDirectory);
        });
        AddHostOptions<PipelineOptions, PipelineOptionsValidator>(services, configuration, PipelineOptions.SectionName);
        AddHostOptions<HttpOptions, HttpOptionsValidator>(services, configuration, HttpOptions.SectionName);
        return services;
    }

    /// <summary>
    /// Checks options built in code (the demo, the benchmarks, tests) with the same validators as a file.
    /// </summary>
    /// <exception cref="ConfigurationException">A value is bad.</exception>
    public static void Validate(ServiceSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var services = new ServiceCollection();
        AddServiceOptions(services, new ConfigurationBuilder().Build(), Environment.CurrentDirectory);
        using var provider = services.BuildServiceProvider();
        var failures = new List<string>();
        Check(provider, settings.Ingest, failures);
        Check(provider, settings.Detection, failures);
        Check(provider, settings.Tracking, failures);
        Check(provider, settings.Encoder, failures);
        Check(provider, settings.Search, failures);
        Check(provider, settings.Pipeline, failures);
        Check(provider, settings.Http, failures);
        if (failures.Count > 0)
        {
            throw new ConfigurationException(string.Join("; ", failures));
        }
    }

    private static void Check<T>(IServiceProvider provider, T options, List<string> failures)
        where T : class
    {
        foreach (var validator in provider.GetServices<IValidateOptions<T>>())
        {
            var result = validator.Validate(Options.DefaultName, options);
            if (result.Failed)
            {
                failures.AddRange(result.Failures ?? []);
            }
        }
    }

    private static ServiceSettings Resolve(IServiceProvider provider)
    {
        try
        {
            provider.GetRequiredService<IStartupValidator>().Validate();
            return new ServiceSettings
            {
                Ingest = provider.GetRequiredService<IOptions<IngestOptions>>().Value,
                Detection = provider.GetRequiredService<IOptions<DetectorOptions>>().Value,
                Tracking = provider.GetRequiredService<IOptions<TrackerOptions>>().Value,
                Encoder = provider.GetRequiredService<IOptions<ReidEncoderOptions>>().Value,
                Search = provider.GetRequiredService<IOptions<SearchOptions>>().Value,
                Pipeline = provider.GetRequiredService<IOptions<PipelineOptions>>().Value,
                Http = provider.GetRequiredService<IOptions<HttpOptions>>().Value,
            };
        }
        catch (OptionsValidationException e)
        {
            throw new ConfigurationException(string.Join("; ", e.Failures), e);
        }
        catch (AggregateException e) when (e.InnerExceptions.All(x => x is OptionsValidationException))
        {
            throw new ConfigurationException(string.Join("; ", e.InnerExceptions.SelectMany(x => ((OptionsValidationException)x).Failures)), e);
        }
        catch (InvalidOperationException e)
        {
            throw new ConfigurationException(Describe(e), e);
        }
    }

    private static OptionsBuilder<ReidEncoderOptions> AddEncoderOptions(IServiceCollection services, IConfiguration configuration)
    {
        // The encoder's options live in ReidEncoder; its rules are ReidEncoderOptions.Validate.
        services.AddSingleton<IValidateOptions<ReidEncoderOptions>, ReidEncoderOptionsValidator>();
        return services.AddOptions<ReidEncoderOptions>()
            .Bind(configuration.GetSection(ReidEncoderOptions.SectionName), b => b.ErrorOnUnknownConfiguration = true)
            .ValidateOnStart();
    }

    private static void AddHostOptions<T, TValidator>(IServiceCollection services, IConfiguration configuration, string section)
        where T : class
        where TValidator : class, IValidateOptions<T>
    {
        services.AddSingleton<IValidateOptions<T>, TValidator>();
        services.AddOptions<T>().Bind(configuration.GetSection(section), b => b.ErrorOnUnknownConfiguration = true).ValidateOnStart();
    }

    private static string Describe(InvalidOperationException e)
    {
        // The binder's messages name the key path and value ("Failed to convert configuration value 'abc' at
        // 'Cameras:0:Fps' to type ...") or the unknown key ("... properties were not found ...: 'Fpz'"); inside a list
        // the cause is an inner exception: keep every message of the chain.
        var messages = new List<string>();
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            messages.Add(x.Message);
        }

        return string.Join(": ", messages);
    }

    private static string ResolvePath(string path, string baseDirectory) =>
        string.IsNullOrWhiteSpace(path) || Path.IsPathRooted(path) ? path : Path.GetFullPath(Path.Combine(baseDirectory, path));

    private sealed class ReidEncoderOptionsValidator : IValidateOptions<ReidEncoderOptions>
    {
        public ValidateOptionsResult Validate(string? name, ReidEncoderOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentException e)
            {
                return ValidateOptionsResult.Fail($"configuration key {e.Message}");
            }
        }
    }
}
