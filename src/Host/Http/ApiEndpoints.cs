using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Routing;
using ReId.Host.Pipeline;

namespace ReId.Host.Http;

internal sealed record SampleDto(DateTimeOffset Time, float[] Box);

internal sealed record SightingDto(
    string Id, string Camera, long Track, DateTimeOffset FirstSeen, DateTimeOffset LastSeen, string ModelVersion,
    string? Identity, IReadOnlyList<SampleDto> Samples, string Thumbnail,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] float? Score = null)
{
    public static SightingDto From(SightingRecord s, float? score = null) => new(
        s.Id, s.Camera, s.Track, s.FirstSeen, s.LastSeen, s.ModelVersion, s.IdentityId,
        [.. s.Samples.Select(x => new SampleDto(x.Time, [x.Box.X, x.Box.Y, x.Box.Width, x.Box.Height]))],
        $"/api/sightings/{s.Id}/thumbnail", score);
}

internal sealed record CameraDto(string Id, string State, string Url, double Fps, long Frames, long Drops, int Reconnects, long Detected, long Sightings, string? LastError);

internal sealed record IdentityDto(string Id, IReadOnlyList<string> Sightings, IReadOnlyList<string> Cameras, DateTimeOffset FirstSeen, DateTimeOffset LastSeen);

internal sealed record FeedbackRequest(string? A, string? B, string? Decision);

/// <summary>The query of where-else and search by image; strings, so that a bad value gets this API's own message.</summary>
internal sealed record WhereElseParameters(
    [property: FromQuery(Name = "k"), Description("most matches, 1 to 1000")] string? K,
    [property: FromQuery(Name = "cameras"), Description("camera ids, comma-separated; default every other camera")] string? Cameras,
    [property: FromQuery(Name = "from"), Description("ISO 8601 time, e.g. 2026-01-31T12:00:00Z")] string? From,
    [property: FromQuery(Name = "to"), Description("ISO 8601 time, not before from")] string? To,
    [property: FromQuery(Name = "minScore"), Description("lowest similarity, -1 to 1")] string? MinScore);

internal sealed record FeedbackResult(string Recorded, IdentityDto? Identity);

/// <param name="LinkingMinSimilarity">the score at which sightings are linked into one identity (Search:Linking:MinSimilarity):
/// the page's default threshold for a strong match</param>
/// <param name="WhereElseMinSimilarity">the lowest score where-else returns unless asked (Search:WhereElse:MinSimilarity)</param>
internal sealed record InfoDto(
    string ModelVersion, string Model, int Cameras, string Pipeline, bool ApiKeyRequired, string Access,
    float LinkingMinSimilarity, float WhereElseMinSimilarity);

/// <summary>The JSON API, /metrics, /healthz and the page; each route says which key it needs (<see cref="Access"/>).
/// Every error is an RFC 9457 problem-details body whose <c>detail</c> says what was wrong.</summary>
internal static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServiceContext service)
    {
        app.MapGet("/healthz", () => service.PipelineError is { } error
            ? Results.Json(new { status = "failed", error }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ok", pipeline = service.PipelineRunning ? "running" : "idle" }))
            .Produces(StatusCodes.Status200OK, contentType: "application/json").Produces(StatusCodes.Status503ServiceUnavailable, contentType: "application/json")
            .Requires(Access.Anyone);

        app.MapGet("/", () => Results.Content(Page.Html, "text/html; charset=utf-8")).Produces(StatusCodes.Status200OK, contentType: "text/html")
            .Requires(Access.Anyone);

        app.MapGet("/metrics", async (MetricsExport metrics, CancellationToken ct) =>
                Results.Text(await metrics.ScrapeAsync(ct).ConfigureAwait(false), MetricsExport.ContentType))
            .Produces(StatusCodes.Status200OK, contentType: "text/plain").Requires(Access.Viewer);

        app.MapGet("/api/info", (HttpContext context) => TypedResults.Ok(new InfoDto(
            service.Embedder.ModelVersion, service.Embedder.ModelDescription, service.Cameras.Count, service.PipelineRunning ? "running" : "idle",
            !string.IsNullOrEmpty(service.Http.ApiKey), ApiKeyGate.Granted(context).ToString().ToLowerInvariant(),
            service.LinkingMinSimilarity, service.WhereElse.MinSimilarity))).Requires(Access.Viewer);

        app.MapGet("/api/cameras", () => TypedResults.Ok(service.Cameras.Select(c => new CameraDto(
            c.CameraId, c.State.ToString().ToLowerInvariant(), c.Url, Math.Round(c.Fps, 2), c.FramesDelivered,
            c.FramesDropped + service.Metrics.FrameDrops.GetValueOrDefault(c.CameraId), c.Reconnects,
            service.Metrics.DetectedFrames.GetValueOrDefault(c.CameraId), service.Metrics.Sightings.GetValueOrDefault(c.CameraId),
            c.LastError)).ToList())).Requires(Access.Viewer);

        app.MapGet("/api/sightings", async Task<Results<Ok<List<SightingDto>>, ProblemHttpResult>> (
            [Description("camera id")] string? camera, [Description("ISO 8601 time")] string? from, [Description("ISO 8601 time, not before from")] string? to,
            [Description("1 to 1000, default 100")] string? limit, CancellationToken ct) =>
        {
            if (!TryCamera(camera, out var cameraId, out var bad) || !TryTime(from, "from", out var fromTime, out bad) ||
                !TryTime(to, "to", out var toTime, out bad) || !TryWindow(fromTime, toTime, out bad) || !TryInt(limit, "limit", 100, 1, 1000, out var most, out bad))
            {
                return bad!;
            }

            var list = await service.Store.ListAsync(new SightingQuery(cameraId, fromTime, toTime, most), ct).ConfigureAwait(false);
            return TypedResults.Ok(list.Select(s => SightingDto.From(s)).ToList());
        }).ProducesProblem(StatusCodes.Status400BadRequest).Requires(Access.Viewer);

        app.MapGet("/api/sightings/{id}", async Task<Results<Ok<SightingDto>, ProblemHttpResult>> (string id, CancellationToken ct) =>
        {
            if (!ValidId(ref id, out var bad))
            {
                return bad;
            }

            var s = await service.Store.GetAsync(id, ct).ConfigureAwait(false);
            return s is null ? NotFound(id) : TypedResults.Ok(SightingDto.From(s));
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound).Requires(Access.Viewer);

        app.MapGet("/api/sightings/{id}/thumbnail", async Task<Results<FileContentHttpResult, ProblemHttpResult>> (string id, CancellationToken ct) =>
        {
            if (!ValidId(ref id, out var bad))
            {
                return bad;
            }

            var jpeg = await service.Store.GetThumbnailAsync(id, ct).ConfigureAwait(false);
            return jpeg is null ? NotFound(id) : TypedResults.File(jpeg, "image/jpeg");
        }).Produces(StatusCodes.Status200OK, contentType: "image/jpeg").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).Requires(Access.Viewer);

        app.MapGet("/api/sightings/{id}/where-else", async Task<Results<Ok<List<SightingDto>>, ProblemHttpResult>> (string id, [AsParameters] WhereElseParameters parameters, CancellationToken ct) =>
        {
            if (!ValidId(ref id, out var bad) || !TryWhereElse(parameters, service, out var query, out bad))
            {
                return bad;
            }

            if (await service.Store.GetAsync(id, ct).ConfigureAwait(false) is null)
            {
                return NotFound(id);
            }

            var hits = await service.Store.WhereElseAsync(id, query!, ct).ConfigureAwait(false);
            return TypedResults.Ok(hits.Select(h => SightingDto.From(h.Sighting, h.Score)).ToList());
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .Requires(Access.Viewer);

        app.MapGet("/api/sightings/{id}/identity", async Task<Results<Ok<IdentityDto>, ProblemHttpResult>> (string id, CancellationToken ct) =>
        {
            if (!ValidId(ref id, out var bad))
            {
                return bad;
            }

            var identity = await service.Store.IdentityOfAsync(id, ct).ConfigureAwait(false);
            return identity is null ? Error(StatusCodes.Status404NotFound, $"sighting {id} belongs to no identity yet") : TypedResults.Ok(ToDto(identity));
        }).ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status404NotFound)
            .Requires(Access.Viewer);

        app.MapGet("/api/identities", async Task<Results<Ok<List<IdentityDto>>, ProblemHttpResult>> ([Description("1 to 1000, default 100")] string? limit, CancellationToken ct) =>
        {
            if (!TryInt(limit, "limit", 100, 1, 1000, out var most, out var bad))
            {
                return bad!;
            }

            var list = await service.Store.IdentitiesAsync(most, ct).ConfigureAwait(false);
            return TypedResults.Ok(list.Select(ToDto).ToList());
        }).ProducesProblem(StatusCodes.Status400BadRequest).Requires(Access.Viewer);

        app.MapPost("/api/feedback", async Task<Results<Ok<FeedbackResult>, ProblemHttpResult>> (HttpRequest request, CancellationToken ct) =>
        {
            if (!request.HasJsonContentType())
            {
                return Error(StatusCodes.Status415UnsupportedMediaType, $"send the feedback as JSON (Content-Type application/json), not '{Truncate(request.ContentType ?? "")}'");
            }

            FeedbackRequest? body;
            try
            {
                body = await request.ReadFromJsonAsync<FeedbackRequest>(ct).ConfigureAwait(false);
            }
            catch (JsonException e)
            {
                return Error(StatusCodes.Status400BadRequest, $"the body is not the feedback JSON: {e.Message}");
            }

            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "send JSON {\"a\": id, \"b\": id, \"decision\": \"confirm\"|\"reject\"}");
            }

            // Ids are compared in one written form: the same GUID in upper case or without dashes is the same sighting.
            string a = body.A ?? "", b = body.B ?? "";
            if (!ValidId(ref a, out var bad, "a") || !ValidId(ref b, out bad, "b"))
            {
                return bad;
            }

            if (body.Decision is not ("confirm" or "reject"))
            {
                return Error(StatusCodes.Status400BadRequest, $"decision '{Truncate(body.Decision ?? "")}' is not confirm or reject");
            }

            if (a == b)
            {
                return Error(StatusCodes.Status400BadRequest, $"a and b are the same sighting ({a}): feedback links two different ones");
            }

            foreach (var id in new[] { a, b })
            {
                if (await service.Store.GetAsync(id, ct).ConfigureAwait(false) is null)
                {
                    return NotFound(id);
                }
            }

            await service.Store.FeedbackAsync(a, b, body.Decision == "confirm", ct).ConfigureAwait(false);
            var identity = await service.Store.IdentityOfAsync(a, ct).ConfigureAwait(false);
            return TypedResults.Ok(new FeedbackResult(body.Decision, identity is null ? null : ToDto(identity)));
        }).Accepts<FeedbackRequest>("application/json").ProducesProblem(StatusCodes.Status400BadRequest)
            .ProducesProblem(StatusCodes.Status404NotFound).ProducesProblem(StatusCodes.Status415UnsupportedMediaType).Requires(Access.Operator);

        app.MapPost("/api/search", (HttpRequest request, [AsParameters] WhereElseParameters parameters, CancellationToken ct) =>
                SearchByImagesAsync(request, parameters, service, ct))
            .Accepts<IFormFileCollection>("multipart/form-data", "image/jpeg", "image/png")
            .ProducesProblem(StatusCodes.Status400BadRequest).ProducesProblem(StatusCodes.Status413PayloadTooLarge)
            .ProducesProblem(StatusCodes.Status415UnsupportedMediaType).ProducesProblem(StatusCodes.Status422UnprocessableEntity)
            .ProducesProblem(StatusCodes.Status429TooManyRequests).Requires(Access.Viewer).RequireRateLimiting(WebServer.SearchLimiter);
    }

    private static async Task<Results<Ok<List<SightingDto>>, ProblemHttpResult>> SearchByImagesAsync(HttpRequest request, WhereElseParameters parameters, ServiceContext service, CancellationToken ct)
    {
        if (!TryWhereElse(parameters, service, out var query, out var bad))
        {
            return bad;
        }

        if (request.ContentLength is { } length && length > service.Http.MaxUploadBytes)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"the upload is {length} bytes; at most {service.Http.MaxUploadBytes} are taken");
        }

        var images = new List<(string Name, byte[] Data)>();
        try
        {
            if (request.HasFormContentType)
            {
                var form = await request.ReadFormAsync(ct).ConfigureAwait(false);
                foreach (var file in form.Files)
                {
                    if (images.Count >= service.Http.MaxUploadImages)
                    {
                        return Error(StatusCodes.Status400BadRequest, $"at most {service.Http.MaxUploadImages} images per search");
                    }

                    using var ms = new MemoryStream();
                    await file.CopyToAsync(ms, ct).ConfigureAwait(false);
                    // The client's file name is only echoed in messages, never used as a path.
                    images.Add((Path.GetFileName(file.FileName), ms.ToArray()));
                }
            }
            else if (request.ContentType is "image/jpeg" or "image/png")
            {
                using var ms = new MemoryStream();
                await request.Body.CopyToAsync(ms, ct).ConfigureAwait(false);
                images.Add(("body", ms.ToArray()));
            }
            else
            {
                return Error(StatusCodes.Status415UnsupportedMediaType,
                    "send the person images as multipart/form-data files, or one image as an image/jpeg or image/png body");
            }
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"the upload is over {service.Http.MaxUploadBytes} bytes (Http:MaxUploadBytes)");
        }
        catch (InvalidDataException e)
        {
            // The form reader's own limits: too many fields, a header or boundary too long, a malformed body.
            return Error(StatusCodes.Status400BadRequest,
                $"the form was refused: {e.Message} (send at most {service.Http.MaxUploadImages} image files and no other fields)");
        }

        if (images.Count == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "no image was sent");
        }

        List<Crop> crops;
        try
        {
            crops = ImageUpload.DecodeAll(images, service.Http.MaxSearchPixels);
        }
        catch (BadImageException e)
        {
            return Error(e.Status, e.Message);
        }

        float[] embedding;
        string version;
        using (var lease = service.Embedder.Acquire())
        {
            version = lease.Embedder.ModelVersion;
            embedding = (await lease.Embedder.EmbedAsync([crops], ct).ConfigureAwait(false))[0];
        }

        var hits = await service.Store.SearchAsync(embedding, version, query!, ct).ConfigureAwait(false);
        return TypedResults.Ok(hits.Select(h => SightingDto.From(h.Sighting, h.Score)).ToList());
    }

    private static IdentityDto ToDto(IdentityRecord i) => new(i.Id, i.SightingIds, i.Cameras, i.FirstSeen, i.LastSeen);

    internal static ProblemHttpResult Error(int status, string detail) => TypedResults.Problem(detail: detail, statusCode: status);

    private static ProblemHttpResult NotFound(string id) => Error(StatusCodes.Status404NotFound, $"no sighting {id} is stored");

    /// <summary>Sighting ids are GUIDs, taken in any of .NET's written forms and turned into the stored one
    /// (lower case with dashes); anything else is refused before it reaches the store.</summary>
    internal static bool ValidId(ref string id, [NotNullWhen(false)] out ProblemHttpResult? bad, string name = "id")
    {
        if (id.Length <= 38 && Guid.TryParse(id, out var guid))
        {
            id = guid.ToString("D");
            bad = null;
            return true;
        }

        bad = Error(StatusCodes.Status400BadRequest, $"{name} '{Truncate(id)}' is not a sighting id (a GUID)");
        return false;
    }

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "..." : s;

    internal static bool ValidCamera(string s) =>
        s.Length is > 0 and <= 64 && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.');

    private static bool TryCamera(string? value, out string? camera, [NotNullWhen(false)] out ProblemHttpResult? bad)
    {
        camera = string.IsNullOrEmpty(value) ? null : value;
        bad = null;
        if (camera is not null && !ValidCamera(camera))
        {
            bad = Error(StatusCodes.Status400BadRequest, $"camera '{Truncate(camera)}' is not a camera id");
            return false;
        }

        return true;
    }

    private static bool TryTime(string? value, string name, out DateTimeOffset? time, [NotNullWhen(false)] out ProblemHttpResult? bad)
    {
        time = null;
        bad = null;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (DateTimeOffset.TryParse(value, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
        {
            time = t;
            return true;
        }

        bad = Error(StatusCodes.Status400BadRequest, $"{name} '{Truncate(value)}' is not a time (ISO 8601, e.g. 2026-01-31T12:00:00Z)");
        return false;
    }

    private static bool TryWindow(DateTimeOffset? from, DateTimeOffset? to, [NotNullWhen(false)] out ProblemHttpResult? bad)
    {
        bad = from > to ? Error(StatusCodes.Status400BadRequest, $"from {from:O} is after to {to:O}: give from <= to") : null;
        return bad is null;
    }

    private static bool TryInt(string? value, string name, int fallback, int min, int max, out int result, [NotNullWhen(false)] out ProblemHttpResult? bad)
    {
        bad = null;
        result = fallback;
        if (string.IsNullOrEmpty(value))
        {
            return true;
        }

        if (int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out result) && result >= min && result <= max)
        {
            return true;
        }

        bad = Error(StatusCodes.Status400BadRequest, $"{name} '{Truncate(value)}' is not a whole number from {min} to {max}");
        return false;
    }

    private static bool TryWhereElse(
        WhereElseParameters q, ServiceContext service, [NotNullWhen(true)] out WhereElseQuery? query, [NotNullWhen(false)] out ProblemHttpResult? bad)
    {
        query = null;
        bad = null;
        if (!TryInt(q.K, "k", service.WhereElse.K, 1, 1000, out var k, out var b) ||
            !TryTime(q.From, "from", out var from, out b) || !TryTime(q.To, "to", out var to, out b) || !TryWindow(from, to, out b))
        {
            bad = b!;
            return false;
        }

        var minScore = service.WhereElse.MinSimilarity;
        var ms = q.MinScore;
        if (!string.IsNullOrEmpty(ms) &&
            (!float.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out minScore) || minScore is < -1 or > 1 || float.IsNaN(minScore)))
        {
            bad = Error(StatusCodes.Status400BadRequest, $"minScore '{Truncate(ms)}' is not a number from -1 to 1");
            return false;
        }

        List<string>? cameras = null;
        var cs = q.Cameras;
        if (!string.IsNullOrEmpty(cs))
        {
            cameras = [.. cs.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
            var wrong = cameras.FirstOrDefault(c => !ValidCamera(c));
            if (wrong is not null)
            {
                bad = Error(StatusCodes.Status400BadRequest, $"cameras: '{Truncate(wrong)}' is not a camera id");
                return false;
            }
        }

        query = new WhereElseQuery(k, cameras, from, to, minScore);
        return true;
    }
}
