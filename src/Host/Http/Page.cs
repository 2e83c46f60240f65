namespace ReId.Host.Http;

/// <summary>The single web page, an embedded resource: served from memory, never from a request path.</summary>
internal static class Page
{
    private static readonly Lazy<string> Content = new(() =>
    {
        using var stream = typeof(Page).Assembly.GetManifestResourceStream("ReId.Host.index.html")
            ?? throw new InvalidOperationException("the page resource ReId.Host.index.html is missing from the build");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    });

    public static string Html => Content.Value;
}
