using System.Globalization;
using Microsoft.Extensions.Options;

namespace ReId;

/// <summary>
/// Collects the configuration errors of one options object, each naming the key path, the bad value and what is
/// allowed: <c>configuration key Cameras:0:Width has the bad value '641': expected an even number from 16 to 7680</c>.
/// </summary>
public sealed class OptionErrors
{
    private readonly List<string> _errors = [];

    /// <summary>The errors so far.</summary>
    public IReadOnlyList<string> Errors => _errors;

    /// <summary>Adds an error for <paramref name="key"/> unless <paramref name="ok"/>.</summary>
    public void Check(bool ok, string key, object? value, string expected)
    {
        if (!ok)
        {
            Add(key, value, expected);
        }
    }

    /// <summary>Adds an error for <paramref name="key"/>.</summary>
    public void Add(string key, object? value, string expected) =>
        _errors.Add($"configuration key {key} has the bad value '{Show(value)}': expected {expected}");

    /// <summary>Adds a message as it is (one that already names its key and value).</summary>
    public void AddMessage(string message) => _errors.Add(message);

    /// <summary>Success, or a failure carrying every error.</summary>
    public ValidateOptionsResult ToResult() =>
        _errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(_errors);

    /// <summary>Throws <see cref="ArgumentException"/> with every error, for callers outside the options pattern.</summary>
    /// <exception cref="ArgumentException">There is an error.</exception>
    public void ThrowIfAny()
    {
        if (_errors.Count > 0)
        {
            throw new ArgumentException(string.Join("; ", _errors));
        }
    }

    private static string Show(object? value) => value switch
    {
        null => "(absent)",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };
}
