using System.Net;
using Microsoft.Extensions.Options;

namespace ReId.Host.Configuration;

/// <summary>The "Http" configuration section: where the API and the page listen, who may use them, and their limits.</summary>
public sealed class HttpOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Http";

    /// <summary>Shortest accepted API key.</summary>
    public const int MinKeyLength = 16;

    /// <summary>Listening address; loopback unless configured otherwise.</summary>
    public string Address { get; set; } = "127.0.0.1";

    /// <summary>0 picks a free port.</summary>
    public int Port { get; set; } = 8080;

    /// <summary>The operator key: when set, every route but /healthz and the page needs a key in the X-Api-Key header,
    /// and this one opens all of them. Best given by the environment (REID__Http__ApiKey) rather than the file.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The viewer key: opens the routes that only look (cameras, sightings, where-else, search, identities,
    /// metrics), not feedback. Needs <see cref="ApiKey"/>.</summary>
    public string? ViewerKey { get; set; }

    /// <summary>Listen beyond loopback without a key; refused unless set, and warned about at every start.</summary>
    public bool AllowAnonymousRemote { get; set; }

    /// <summary>Largest upload of POST /api/search.</summary>
    public int MaxUploadBytes { get; set; } = 4 * 1024 * 1024;

    /// <summary>Most images in one POST /api/search.</summary>
    public int MaxUploadImages { get; set; } = 16;

    /// <summary>Most pixels one search decodes, all its images together, read from their headers before any is decoded
    /// (3 bytes each decoded: 12 MB by default, times <see cref="MaxConcurrentSearches"/> at most).</summary>
    public int MaxSearchPixels { get; set; } = 2048 * 2048;

    /// <summary>Searches by image running at once; more get 429 with Retry-After.</summary>
    public int MaxConcurrentSearches { get; set; } = 2;

    /// <summary>True when <see cref="Address"/> is a loopback address (or "localhost").</summary>
    public bool IsLoopback => Address == "localhost" || (IPAddress.TryParse(Address, out var ip) && IPAddress.IsLoopback(ip));
}

/// <summary>Checks <see cref="HttpOptions"/> once, at start.</summary>
internal sealed class HttpOptionsValidator : IValidateOptions<HttpOptions>
{
    public ValidateOptionsResult Validate(string? name, HttpOptions options)
    {
        const string s = HttpOptions.SectionName;
        var errors = new OptionErrors();
        errors.Check(IPAddress.TryParse(options.Address, out _) || options.Address == "localhost", $"{s}:Address", options.Address,
            "an IP address such as 127.0.0.1 (0.0.0.0 listens on every interface)");
        errors.Check(options.Port is >= 0 and <= 65535, $"{s}:Port", options.Port, "0 (any free port) to 65535");
        CheckKey(errors, $"{s}:ApiKey", options.ApiKey);
        CheckKey(errors, $"{s}:ViewerKey", options.ViewerKey);
        if (options.ViewerKey is not null && options.ApiKey is null)
        {
            errors.AddMessage($"configuration key {s}:ViewerKey is set without {s}:ApiKey: set the operator key {s}:ApiKey too, or feedback would need no key");
        }

        if (options.ViewerKey is not null && options.ViewerKey == options.ApiKey)
        {
            errors.AddMessage($"configuration keys {s}:ViewerKey and {s}:ApiKey are the same: give the viewer a key of its own");
        }

        if (ExposureError(options) is { } exposed)
        {
            errors.AddMessage(exposed);
        }

        errors.Check(options.MaxUploadBytes is >= 1024 and <= 64 * 1024 * 1024, $"{s}:MaxUploadBytes", options.MaxUploadBytes, "1024 to 67108864");
        errors.Check(options.MaxUploadImages is >= 1 and <= 64, $"{s}:MaxUploadImages", options.MaxUploadImages, "1 to 64");
        errors.Check(options.MaxSearchPixels is >= 256 and <= 4096 * 4096, $"{s}:MaxSearchPixels", options.MaxSearchPixels, "256 to 16777216 (4096x4096)");
        errors.Check(options.MaxConcurrentSearches is >= 1 and <= 64, $"{s}:MaxConcurrentSearches", options.MaxConcurrentSearches, "1 to 64");
        return errors.ToResult();
    }

    /// <summary>Why these options may not be served as they are: beyond loopback without a key, not allowed on purpose.</summary>
    public static string? ExposureError(HttpOptions options)
    {
        const string s = HttpOptions.SectionName;
        return options.IsLoopback || options.ApiKey is not null || options.AllowAnonymousRemote
            ? null
            : $"configuration key {s}:Address is '{options.Address}', beyond loopback, and {s}:ApiKey is not set: anyone who can reach the " +
              $"port could search and change the store. Set {s}:ApiKey (as REID__Http__ApiKey, {HttpOptions.MinKeyLength}+ characters), " +
              $"or {s}:AllowAnonymousRemote=true to serve without a key on purpose";
    }

    /// <summary>A key is sent in a header, which trims spaces: only visible ASCII, long enough, and not one character repeated.</summary>
    private static void CheckKey(OptionErrors errors, string key, string? value)
    {
        if (value is null)
        {
            return;
        }

        // The key itself is never echoed back: only its length.
        errors.Check(
            value.Length >= HttpOptions.MinKeyLength && value.All(c => c is > ' ' and <= '~') && value.Distinct().Count() > 1,
            key, $"<{value.Length} characters>",
            $"at least {HttpOptions.MinKeyLength} visible ASCII characters (no spaces), not one character repeated, or absent for no key");
    }
}
