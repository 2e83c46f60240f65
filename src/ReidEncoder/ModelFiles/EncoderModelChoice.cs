namespace ReId.ReidEncoder;

/// <summary>Which encoder model a setting names: a model file, or the untrained default (no file).</summary>
/// <param name="Path">The model file to load; null for the untrained default (<see cref="ReidModel.CreateDefault"/>).</param>
/// <param name="Description">What is in use, in words, for logs and status pages.</param>
/// <param name="IsFallback">True when the trained default was asked for but its file was not found.</param>
public sealed record EncoderModelChoice(string? Path, string Description, bool IsFallback);

/// <summary>
/// The one place that says what the "default" encoder model is: the trained model shipped as
/// <c>models/drsa-resnet18-cuhk03.reid</c> beside the program, or the untrained default when that file is absent.
/// </summary>
public static class DefaultEncoderModel
{
    /// <summary>The shipped trained model's file name (in <c>models/</c> beside the program).</summary>
    public const string FileName = "drsa-resnet18-cuhk03.reid";

    /// <summary>The setting that asks for the shipped trained model (an empty setting means the same).</summary>
    public const string Default = "default";

    /// <summary>The setting that asks for the untrained default (ImageNet trunk, Baseline head).</summary>
    public const string Untrained = "untrained";

    /// <summary>Overrides where the shipped trained model is looked for.</summary>
    public const string EnvironmentVariable = "REID_DEFAULT_MODEL";

    /// <summary>Where the shipped trained model is expected: the environment override, else models/ beside the program.</summary>
    public static string ShippedPath() => ShippedPath(AppContext.BaseDirectory);

    /// <summary>True for the settings that name no file: empty, "default", "untrained".</summary>
    public static bool IsKeyword(string? setting) =>
        string.IsNullOrWhiteSpace(setting) ||
        string.Equals(setting.Trim(), Default, StringComparison.OrdinalIgnoreCase) ||
        string.Equals(setting.Trim(), Untrained, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// Resolves a model setting: empty or "default" gives the shipped trained model (the untrained default, said
    /// so, when its file is absent); "untrained" the untrained default; anything else is a model file that must exist.
    /// </summary>
    /// <exception cref="FileNotFoundException">A model file is named and does not exist.</exception>
    public static EncoderModelChoice Resolve(string? setting) => Resolve(setting, AppContext.BaseDirectory);

    internal static string ShippedPath(string programFolder) =>
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } env
            ? System.IO.Path.GetFullPath(env)
            : System.IO.Path.Combine(programFolder, "models", FileName);

    internal static EncoderModelChoice Resolve(string? setting, string programFolder)
    {
        var s = setting?.Trim();
        if (string.Equals(s, Untrained, StringComparison.OrdinalIgnoreCase))
        {
            return new EncoderModelChoice(null, "untrained default (ImageNet trunk, untrained head), as configured", false);
        }

        if (IsKeyword(s))
        {
            var shipped = ShippedPath(programFolder);
            return File.Exists(shipped)
                ? new EncoderModelChoice(shipped, $"trained default {System.IO.Path.GetFileName(shipped)}", false)
                : new EncoderModelChoice(null, $"untrained default (ImageNet trunk, untrained head): the trained default {shipped} was not found", true);
        }

        return File.Exists(s)
            ? new EncoderModelChoice(System.IO.Path.GetFullPath(s!), $"model file {System.IO.Path.GetFileName(s)}", false)
            : throw new FileNotFoundException($"encoder model file '{s}' does not exist.", s);
    }
}
