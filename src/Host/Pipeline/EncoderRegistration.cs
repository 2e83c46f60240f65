using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ReId.ReidEncoder;

namespace ReId.Host.Pipeline;

/// <summary>Registers the re-id encoder stage of the service.</summary>
internal static class EncoderRegistration
{
    /// <summary>
    /// The encoder in use: an <see cref="EmbedderSlot"/> (disposed by the container with the model it holds) over the
    /// encoder <paramref name="encoderFactory"/> makes from <paramref name="options"/>.
    /// </summary>
    public static IServiceCollection AddReidEncoder(
        this IServiceCollection services, ReidEncoderOptions options, Func<ReidEncoderOptions, ILoggerFactory, ITrackletEmbedder> encoderFactory)
    {
        ArgumentNullException.ThrowIfNull(encoderFactory);
        services.AddSingleton(sp => new EmbedderSlot(encoderFactory(options, sp.GetRequiredService<ILoggerFactory>())));
        return services;
    }
}
