using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ReId;

/// <summary>How every stage registers its configuration section: bound once, unknown keys refused, validated once at start.</summary>
public static class OptionsRegistration
{
    /// <summary>
    /// Binds <typeparamref name="T"/> from <paramref name="section"/> (a key that <typeparamref name="T"/> lacks is
    /// an error) and validates it at start with <paramref name="validate"/>, which adds every bad value to the errors.
    /// </summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, IConfigurationSection section, Action<T, OptionErrors> validate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(section);
        return services.AddValidatedOptions(o => section.Bind(o, b => b.ErrorOnUnknownConfiguration = true), validate);
    }

    /// <summary>As <see cref="AddValidatedOptions{T}(IServiceCollection, IConfigurationSection, Action{T, OptionErrors})"/>,
    /// with the binding given (e.g. a list section bound into a property).</summary>
    public static OptionsBuilder<T> AddValidatedOptions<T>(this IServiceCollection services, Action<T> bind, Action<T, OptionErrors> validate)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddSingleton<IValidateOptions<T>>(new Validator<T>(validate));
        return services.AddOptions<T>().Configure(bind).ValidateOnStart();
    }

    private sealed class Validator<T>(Action<T, OptionErrors> validate) : IValidateOptions<T>
        where T : class
    {
        public ValidateOptionsResult Validate(string? name, T options)
        {
            var errors = new OptionErrors();
            validate(options, errors);
            return errors.ToResult();
        }
    }
}
