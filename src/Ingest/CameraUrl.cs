using System.Text.RegularExpressions;

namespace ReId.Ingest;

/// <summary>Hides passwords in camera URLs before they are shown or logged.</summary>
public static partial class CameraUrl
{
    private const string Hidden = "***";

    /// <summary><c>rtsp://user:secret@host/x</c> becomes <c>rtsp://user:***@host/x</c>; anything else is returned as is.</summary>
    public static string Mask(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return url;
        }

        var authorityStart = scheme + 3;
        // The user info ends at the last '@' before the query: passwords may hold '/' or '@' unencoded.
        var query = url.IndexOf('?', authorityStart);
        var end = query < 0 ? url.Length : query;
        var at = url.LastIndexOf('@', end - 1, end - authorityStart);
        if (at < 0)
        {
            return url;
        }

        var colon = url.IndexOf(':', authorityStart, at - authorityStart);
        return colon < 0 ? url : string.Concat(url.AsSpan(0, colon + 1), Hidden, url.AsSpan(at));
    }

    /// <summary>Masks every URL password found in free text (ffmpeg messages repeat the URL they were given).</summary>
    public static string MaskAll(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PasswordInText().Replace(text, "$1" + Hidden + "@");
    }

    [GeneratedRegex(@"(://[^:/@\s]*:)[^\s]*@")]
    private static partial Regex PasswordInText();
}
