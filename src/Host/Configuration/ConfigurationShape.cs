using System.Collections;
using System.ComponentModel;
using System.Globalization;
using System.Reflection;
using Microsoft.Extensions.Configuration;

namespace ReId.Host.Configuration;

/// <summary>
/// Checks a configuration's shape against the options classes before they are bound, so that an error names the key
/// path, the value and what is expected, as the validators do for values: a key no class has, a value that does not
/// convert to its property's type (<c>"Fps": "fast"</c>, <c>"StallTimeout": "5s"</c>), a list written as an object,
/// an object written as a single value, a section that is <c>null</c>. The binder itself reports only its own type
/// names ("Failed to convert ... to type 'System.Double'"), and inside a list not even the key.
/// </summary>
internal static class ConfigurationShape
{
    /// <summary>Every problem found, one line each (empty when the shape fits).</summary>
    public static List<string> Check(IConfiguration configuration, IReadOnlyDictionary<string, Type> sections)
    {
        var errors = new List<string>();
        foreach (var section in configuration.GetChildren())
        {
            if (sections.FirstOrDefault(s => string.Equals(s.Key, section.Key, StringComparison.OrdinalIgnoreCase)) is { Value: { } type })
            {
                // An empty object or list reads as an empty value: that is the defaults.
                if (!string.IsNullOrEmpty(section.Value) && !section.GetChildren().Any())
                {
                    errors.Add($"configuration section {section.Path} has the bad value '{section.Value}': expected {Expected(type)}");
                    continue;
                }

                CheckNode(section, type, errors);
            }
        }

        return errors;
    }

    private static void CheckNode(IConfigurationSection node, Type type, List<string> errors)
    {
        var children = node.GetChildren().ToList();
        if (IsScalar(type))
        {
            if (children.Count > 0)
            {
                errors.Add($"configuration key {node.Path} holds {(IsList(children) ? "a list" : "an object")}: expected {Expected(type)}");
            }
            else if (node.Value is { } value && !Converts(value, type))
            {
                errors.Add($"configuration key {node.Path} has the bad value '{value}': expected {Expected(type)}");
            }

            return;
        }

        if (ElementType(type) is { } element)
        {
            if (children.Count == 0 && !string.IsNullOrEmpty(node.Value))
            {
                errors.Add($"configuration key {node.Path} has the bad value '{node.Value}': expected a list ([ ... ])");
            }
            else if (children.Count > 0 && !IsList(children))
            {
                errors.Add($"configuration key {node.Path} holds an object ({{ \"{children[0].Key}\": ... }}): expected a list ([ {{ ... }}, ... ])");
            }
            else
            {
                children.ForEach(c => CheckNode(c, element, errors));
            }

            return;
        }

        if (children.Count == 0)
        {
            if (!string.IsNullOrEmpty(node.Value))
            {
                errors.Add($"configuration key {node.Path} has the bad value '{node.Value}': expected {Expected(type)}");
            }

            return;
        }

        var properties = Properties(type);
        foreach (var child in children)
        {
            if (properties.FirstOrDefault(p => string.Equals(p.Name, child.Key, StringComparison.OrdinalIgnoreCase)) is { } property)
            {
                CheckNode(child, property.PropertyType, errors);
            }
            else
            {
                errors.Add($"configuration key {child.Path} is unknown ('{child.Key}'): {node.Path} has {string.Join(", ", properties.Select(p => p.Name))}");
            }
        }
    }

    private static bool IsList(List<IConfigurationSection> children) => children.All(c => int.TryParse(c.Key, NumberStyles.None, CultureInfo.InvariantCulture, out _));

    private static List<PropertyInfo> Properties(Type type) =>
        [.. type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0 && (p.SetMethod?.IsPublic == true || ElementType(p.PropertyType) is not null || !IsScalar(p.PropertyType)))];

    private static Type? ElementType(Type type)
    {
        if (type.IsArray)
        {
            return type.GetElementType();
        }

        if (type == typeof(string) || !typeof(IEnumerable).IsAssignableFrom(type))
        {
            return null;
        }

        return type.IsGenericType ? type.GetGenericArguments()[0] : null;
    }

    private static bool IsScalar(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        return t.IsPrimitive || t.IsEnum || t == typeof(string) || t == typeof(decimal) || t == typeof(TimeSpan) ||
               t == typeof(DateTimeOffset) || t == typeof(DateTime) || t == typeof(Uri) || t == typeof(Guid);
    }

    private static bool Converts(string value, Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (value.Length == 0)
        {
            return t == typeof(string) || Nullable.GetUnderlyingType(type) is not null;
        }

        try
        {
            TypeDescriptor.GetConverter(t).ConvertFromInvariantString(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or ArgumentException or NotSupportedException or OverflowException || e.InnerException is FormatException or OverflowException)
        {
            return false;
        }
    }

    /// <summary>What a value of <paramref name="type"/> looks like, in words.</summary>
    internal static string Expected(Type type)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t.IsEnum)
        {
            return $"one of {string.Join(", ", Enum.GetNames(t).Select(n => char.ToLowerInvariant(n[0]) + n[1..]))}";
        }

        return t switch
        {
            _ when t == typeof(bool) => "true or false",
            _ when t == typeof(int) || t == typeof(long) || t == typeof(short) => "a whole number",
            _ when t == typeof(double) || t == typeof(float) || t == typeof(decimal) => "a number (e.g. 10 or 0.5)",
            _ when t == typeof(TimeSpan) => "a time span written [d.]hh:mm:ss[.fff] (e.g. 00:00:05 for 5 seconds)",
            _ when t == typeof(DateTimeOffset) || t == typeof(DateTime) => "a date and time (e.g. 2026-03-14T09:26:53Z)",
            _ when t == typeof(string) => "a text",
            _ when ElementType(t) is not null => "a list ([ ... ])",
            _ => $"an object ({{ \"{string.Join("\": ..., \"", Properties(t).Take(3).Select(p => p.Name))}\": ... }})",
        };
    }
}
