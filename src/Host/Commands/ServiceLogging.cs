using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace ReId.Host.Commands;

/// <summary>
/// The console logging of every command: one line per message with its UTC date and time, <c>simple</c> text by
/// default, JSON (<c>Logging:Console:FormatterName</c> <c>json</c>, one object a line) or <c>systemd</c> when the
/// configuration says so; levels from <c>Logging:LogLevel</c> (<c>Default</c> and per category, e.g.
/// <c>ReId.Ingest</c>), as Microsoft.Extensions.Logging reads them.
/// </summary>
internal static class ServiceLogging
{
    /// <summary>The formatters <c>Logging:Console:FormatterName</c> may name.</summary>
    public static readonly string[] Formatters = [ConsoleFormatterNames.Simple, ConsoleFormatterNames.Json, ConsoleFormatterNames.Systemd];

    /// <summary>ISO 8601 in UTC: every line can be placed in time, whatever the machine's zone.</summary>
    private const string Timestamp = "yyyy-MM-dd'T'HH:mm:ss.fff'Z' ";

    /// <summary>A logger factory for <paramref name="logging"/> (the configuration's Logging section; null: the defaults).</summary>
    public static ILoggerFactory Create(IConfiguration? logging, LogLevel level = LogLevel.Information) => LoggerFactory.Create(b =>
    {
        b.SetMinimumLevel(level);
        b.AddFilter("Microsoft", LogLevel.Warning);
        // defaults first: the configuration's own formatter options are bound after them and win
        b.Services.Configure<SimpleConsoleFormatterOptions>(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = Timestamp;
            o.UseUtcTimestamp = true;
        });
        b.Services.Configure<JsonConsoleFormatterOptions>(o =>
        {
            o.TimestampFormat = Timestamp.TrimEnd();
            o.UseUtcTimestamp = true;
        });
        // without a formatter name the console logger takes its obsolete own options instead of the formatter's
        b.Services.Configure<ConsoleLoggerOptions>(o => o.FormatterName = ConsoleFormatterNames.Simple);
        if (logging is not null)
        {
            b.AddConfiguration(logging);
        }

        b.AddConsole();
    });

    /// <summary>What is wrong with a Logging section (formatter name, level names), in the loader's words; empty when nothing.</summary>
    public static IEnumerable<string> Check(IConfiguration logging)
    {
        var formatter = logging["Console:FormatterName"];
        if (formatter is not null && !Formatters.Contains(formatter, StringComparer.OrdinalIgnoreCase))
        {
            yield return $"configuration key Logging:Console:FormatterName has the bad value '{formatter}': expected {string.Join(", ", Formatters)}";
        }

        foreach (var section in new[] { logging.GetSection("LogLevel"), logging.GetSection("Console:LogLevel") })
        {
            foreach (var entry in section.GetChildren())
            {
                if (!Enum.TryParse<LogLevel>(entry.Value, ignoreCase: true, out _))
                {
                    yield return $"configuration key {section.Path}:{entry.Key} has the bad value '{entry.Value}': expected " +
                                 string.Join(", ", Enum.GetNames<LogLevel>());
                }
            }
        }
    }
}
