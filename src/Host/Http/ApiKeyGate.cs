using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;
using ReId.Host.Configuration;

namespace ReId.Host.Http;

/// <summary>What a route lets a caller do: each route declares the least it needs.</summary>
internal enum Access
{
    /// <summary>No key: /healthz and the page (which asks for the key).</summary>
    Anyone,

    /// <summary>The viewer key or the operator key: routes that only look (cameras, sightings, where-else, search, identities).</summary>
    Viewer,

    /// <summary>The operator key (Http:ApiKey) only: routes that change what is stored (feedback).</summary>
    Operator,
}

/// <summary>Endpoint metadata: the access a route needs.</summary>
internal sealed record RequiresAccess(Access Level);

internal static class AccessExtensions
{
    /// <summary>Declares the access a route needs, and the 401/403 problem answers that come with it in the API description.</summary>
    public static TBuilder Requires<TBuilder>(this TBuilder builder, Access level) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new RequiresAccess(level));
        string[] problem = ["application/problem+json"];
        if (level >= Access.Viewer)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status401Unauthorized, typeof(ProblemDetails), problem));
        }

        if (level == Access.Operator)
        {
            builder.WithMetadata(new ProducesResponseTypeMetadata(StatusCodes.Status403Forbidden, typeof(ProblemDetails), problem));
        }

        return builder;
    }
}

/// <summary>
/// Checks the X-Api-Key header against the route's <see cref="RequiresAccess"/>: 401 without a valid key, 403 with the
/// viewer key on an operator route, both as problem details. The key is taken from the header only: a key in the
/// address ends up in logs, history and Referer headers. Without Http:ApiKey every caller is an operator (the
/// validator allows that only on loopback, or with Http:AllowAnonymousRemote).
/// </summary>
internal sealed class ApiKeyGate(HttpOptions options)
{
    public const string Header = "X-Api-Key";
    private static readonly object GrantedKey = new();

    private readonly byte[]? _operator = options.ApiKey is null ? null : Encoding.UTF8.GetBytes(options.ApiKey);
    private readonly byte[]? _viewer = options.ViewerKey is null ? null : Encoding.UTF8.GetBytes(options.ViewerKey);

    /// <summary>What the request's key allows (set by the gate before the route runs).</summary>
    public static Access Granted(HttpContext context) => context.Items[GrantedKey] as Access? ?? Access.Anyone;

    public Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var granted = Grant(context.Request.Headers[Header]);
        context.Items[GrantedKey] = granted;

        // A route without a declaration (or no route: 404) needs the viewer key, so strangers learn nothing of the routes.
        var needed = context.GetEndpoint()?.Metadata.GetMetadata<RequiresAccess>()?.Level ?? Access.Viewer;
        if (granted >= needed)
        {
            return next(context);
        }

        if (granted == Access.Anyone)
        {
            if (!string.IsNullOrEmpty(context.Request.Headers[Header]))
            {
                return ApiEndpoints.Error(StatusCodes.Status401Unauthorized, $"the {Header} header holds no key of this service").ExecuteAsync(context);
            }

            var inAddress = context.Request.Query.ContainsKey("key")
                ? " A key in the address (?key=) is not taken: addresses end up in logs and browser history."
                : "";
            return ApiEndpoints.Error(StatusCodes.Status401Unauthorized,
                    $"this route needs an API key: send it in the {Header} header (the page asks for it).{inAddress}")
                .ExecuteAsync(context);
        }

        return ApiEndpoints.Error(StatusCodes.Status403Forbidden,
                $"{context.Request.Method} {context.Request.Path} changes what is stored and needs the operator key (Http:ApiKey); " +
                "the key sent is the viewer key (Http:ViewerKey), which may only look")
            .ExecuteAsync(context);
    }

    private Access Grant(string? given)
    {
        if (_operator is null)
        {
            return Access.Operator;
        }

        if (string.IsNullOrEmpty(given))
        {
            return Access.Anyone;
        }

        var bytes = Encoding.UTF8.GetBytes(given);
        if (CryptographicOperations.FixedTimeEquals(bytes, _operator))
        {
            return Access.Operator;
        }

        return _viewer is not null && CryptographicOperations.FixedTimeEquals(bytes, _viewer) ? Access.Viewer : Access.Anyone;
    }
}
