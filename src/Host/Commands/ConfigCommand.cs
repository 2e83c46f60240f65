using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;
using ReId.Host.Configuration;
using ReId.Ingest;

namespace ReId.Host.Commands;

/// <summary><c>reid config check FILE</c>: validates a configuration and prints the effective one, secrets masked.</summary>
internal static class ConfigCommand
{
    private const string Masked = "***";

    // the keys a file can set: enums as the file writes them, no computed (read-only) properties
    private static readonly JsonSerializerOptions AsKeys = new()
    {
        IgnoreReadOnlyProperties = true,
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    public static Command Create()
    {
        var file = new Argument<string>("file") { Description = "The service's JSON configuration file." };
        var check = new Command("check", "Validate FILE (with the REID__ environment over it) and print the effective configuration, secrets masked.");
        check.Arguments.Add(file);
        check.SetAction(parse =>
        {
            var settings = CommandSupport.LoadConfig(parse.GetValue(file)!);
            if (settings is null)
            {
                return 2;
            }

            Console.WriteLine(Effective(settings));
            Console.Error.WriteLine($"reid: {parse.GetValue(file)} is valid ({settings.Cameras.Count} camera(s))");
            return 0;
        });
        var command = new Command("config", "Work with the service's configuration file.");
        command.Subcommands.Add(check);
        return command;
    }

    /// <summary>Every section with every key's value in use (defaults included), API keys and URL passwords masked.</summary>
    public static string Effective(ServiceSettings settings)
    {
        var json = new JsonObject();
        foreach (var (name, section) in new (string, object)[]
                 {
                     ("Cameras", settings.Cameras), ("Ingest", settings.Ingest), ("Detection", settings.Detection), ("Tracking", settings.Tracking),
                     ("Encoder", settings.Encoder), ("Search", settings.Search), ("Pipeline", settings.Pipeline), ("Http", settings.Http),
                 })
        {
            json[name] = JsonSerializer.SerializeToNode(section, section.GetType(), AsKeys);
        }

        // the cameras are listed once, at the top
        json["Ingest"]?.AsObject().Remove("Cameras");
        Mask(json);
        return json.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    private static void Mask(JsonNode? node)
    {
        switch (node)
        {
            case JsonObject o:
                foreach (var (key, value) in o.ToList())
                {
                    if (key.EndsWith("ApiKey", StringComparison.OrdinalIgnoreCase) && value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length > 0)
                    {
                        o[key] = Masked;
                    }
                    else if (key == "Url" && value is JsonValue u && u.TryGetValue<string>(out var url))
                    {
                        o[key] = CameraUrl.Mask(url);
                    }
                    else
                    {
                        Mask(value);
                    }
                }

                break;
            case JsonArray a:
                foreach (var item in a)
                {
                    Mask(item);
                }

                break;
        }
    }
}
