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

    /// <summary>
    /// The first character of the URL's user and password that must be percent-encoded (a space, '#', '?', '/', '@',
    /// a '%' not followed by two hex digits, ...), or null when there is none (or no user part). Unencoded, ffmpeg
    /// cuts the URL there, and the rest of the password ends up in its messages.
    /// </summary>
    public static char? UnencodedInUserInfo(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        if (scheme < 0)
        {
            return null;
        }

        var start = scheme + 3;
        // The user info ends at the last '@', so a password's own '/', '?', '#' or '@' is found.
        var at = url.LastIndexOf('@');
        if (at < start)
        {
            return null;
        }

        for (var i = start; i < at; i++)
        {
            var c = url[i];
            if (c == '%')
            {
                if (i + 2 < at && Uri.IsHexDigit(url[i + 1]) && Uri.IsHexDigit(url[i + 2]))
                {
                    i += 2;
                    continue;
                }

                return c;
            }

            // RFC 3986 userinfo: unreserved, sub-delims and ':'.
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '.' or '_' or '~' or '!' or '$' or '&' or '\'' or '(' or ')' or '*' or '+' or ',' or ';' or '=' or ':'))
            {
                return c;
            }
        }

        return null;
    }

    /// <summary>The URL with everything between the scheme and its last '@' hidden (for a URL whose user info is malformed).</summary>
    public static string MaskUserInfo(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        var scheme = url.IndexOf("://", StringComparison.Ordinal);
        var at = url.LastIndexOf('@');
        return scheme < 0 || at < scheme + 3 ? url : string.Concat(url.AsSpan(0, scheme + 3), Hidden, url.AsSpan(at));
    }

    /// <summary>The percent-encoding of one character (UTF-8), e.g. %23 for '#'.</summary>
    public static string PercentEncoded(char c) => Uri.EscapeDataString(c.ToString()) is { Length: > 1 } e && e[0] == '%' ? e : $"%{(int)c:X2}";

    /// <summary>True when the URL carries a password (<c>scheme://user:password@host...</c>).</summary>
    public static bool HasPassword(string url) => Mask(url) != url;

    /// <summary>Masks every URL password found in free text (ffmpeg messages repeat the URL they were given).</summary>
    public static string MaskAll(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return PasswordInText().Replace(text, "$1" + Hidden + "@");
    }

    [GeneratedRegex(@"(://[^:/@\s]*:)[^\s]*@")]
    private static partial Regex PasswordInText();
}
