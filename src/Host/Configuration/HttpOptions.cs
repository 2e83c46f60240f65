using Microsoft.Extensions.Options;

namespace ReId.Host.Configuration;

/// <summary>The "Http" configuration section: where the API and the page listen, and their limits.</summary>
public sealed class HttpOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Http";

    /// <summary>Listening address; loopback unless configured otherwise.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>When set, every route but /healthz needs it (header X-Api-Key, or ?key= for the page). Best given
    /// by the environment (REID__Http__ApiKey) rather than the file.</summary>
    public string? ApiKey { get; set; }

    /// <summary>Largest upload of POST /api/search.</summary>
    public int MaxUploadBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most images in one POST /api/search.</summary>
    public int MaxUploadImages { get; set; } = 16;
}

/// <summary>Checks <see cref="HttpOptions"/> once, at start.</summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        const string s = HttpOptions.SectionName;
        var errors = new OptionErrors();
        errors.Check(System.Net.IPAddress.TryParse(options.Address, out _) || options.Address == "localhost", $"{s}:Address", options.Address,
            "an IP address such as 127.0.0.1 (0.0.0.0 listens on every interface)");
        errors.Check(options.Port is >= 0 and <= 65535, $"{s}:Port", options.Port, "0 (any free port) to 65535");
        if (options.ApiKey is not null)
        {
            // The key itself is never echoed back: only its length.
            errors.Check(options.ApiKey.Length >= 16, $"{s}:ApiKey", $"<{options.ApiKey.Length} characters>", "at least 16 characters, or absent for no key");
        }

        errors.Check(options.MaxUploadBytes is >= 1024 and <= 64 * 1024 * 1024, $"{s}:MaxUploadBytes", options.MaxUploadBytes, "1024 to 67108864");
        errors.Check(options.MaxUploadImages is >= 1 and <= 64, $"{s}:MaxUploadImages", options.MaxUploadImages, "1 to 64");
        return errors.ToResult();
    }
}
