using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;

namespace ReId.Host.Http;

/// <summary>The single web page, an embedded resource: served from memory, never from a request path.</summary>
internal static partial class Page
{
    private static readonly Lazy<string> Content = new(() =>
    {
        using var stream = typeof(Page).Assembly.GetManifestResourceStream("ReId.Host.index.html")
            ?? throw new InvalidOperationException("the page resource ReId.Host.index.html is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    private static readonly Lazy<string> Policy = new(() =>
    {
        // The page's own inline script and style blocks, allowed by their hashes: nothing injected into it can run.
        string Hashes(Regex blocks) => string.Join(' ', blocks.Matches(Html).Select(m =>
            $"'sha256-{Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(m.Groups[1].Value)))}'"));
        return $"default-src 'none'; script-src {Hashes(ScriptBlock())}; style-src {Hashes(StyleBlock())}; img-src 'self' blob:; " +
               "connect-src 'self'; form-action 'none'; base-uri 'none'; frame-ancestors 'none'";
    });

    public static string Html => Content.Value;

    /// <summary>The Content-Security-Policy the page is served with.</summary>
    public static string ContentSecurityPolicy => Policy.Value;

    [GeneratedRegex("<script>(.*?)</script>", RegexOptions.Singleline)]
    private static partial Regex ScriptBlock();

    [GeneratedRegex("<style>(.*?)</style>", RegexOptions.Singleline)]
    private static partial Regex StyleBlock();
}
