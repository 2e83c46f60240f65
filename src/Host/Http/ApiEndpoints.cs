using System.Globalization;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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

internal sealed record ErrorDto(string Error);

/// <summary>The JSON API, /metrics, /healthz and the page.</summary>
internal static class ApiEndpoints
{
    public static void Map(IEndpointRouteBuilder app, ServiceContext service)
    {
        app.MapGet("/healthz", () => service.PipelineError is { } error
            ? Results.Json(new { status = "failed", error }, statusCode: StatusCodes.Status503ServiceUnavailable)
            : Results.Json(new { status = "ok", pipeline = service.PipelineRunning ? "running" : "idle" }));

        app.MapGet("/", () => Results.Content(Page.Html, "text/html; charset=utf-8"));

        app.MapGet("/metrics", () => Results.Text(
            service.Metrics.ToPrometheus(service.Cameras, service.Embedder.ModelVersion), "text/plain; version=0.0.4; charset=utf-8"));

        app.MapGet("/api/info", () => Results.Json(new
        {
            modelVersion = service.Embedder.ModelVersion,
            model = service.Embedder.ModelDescription,
            cameras = service.Cameras.Count,
            pipeline = service.PipelineRunning ? "running" : "idle",
            apiKeyRequired = !string.IsNullOrEmpty(service.Http.ApiKey),
        }));

        app.MapGet("/api/cameras", () => Results.Json(service.Cameras.Select(c => new CameraDto(
            c.CameraId, c.State.ToString().ToLowerInvariant(), c.Url, Math.Round(c.Fps, 2), c.FramesDelivered,
            c.FramesDropped + service.Metrics.FrameDrops.GetValueOrDefault(c.CameraId), c.Reconnects,
            service.Metrics.DetectedFrames.GetValueOrDefault(c.CameraId), service.Metrics.Sightings.GetValueOrDefault(c.CameraId),
            c.LastError)).ToList()));

        app.MapGet("/api/sightings", async (HttpRequest request, CancellationToken ct) =>
        {
            var q = request.Query;
            if (!TryCamera(q["camera"], out var camera, out var bad) || !TryTime(q, "from", out var from, out bad) ||
                !TryTime(q, "to", out var to, out bad) || !TryInt(q, "limit", 100, 1, 1000, out var limit, out bad))
            {
                return bad!;
            }

            var list = await service.Store.ListAsync(new SightingQuery(camera, from, to, limit), ct).ConfigureAwait(false);
            return Results.Json(list.Select(s => SightingDto.From(s)).ToList());
        });

        app.MapGet("/api/sightings/{id}", async (string id, CancellationToken ct) =>
        {
            if (!ValidId(id, out var bad))
            {
                return bad;
            }

            var s = await service.Store.GetAsync(id, ct).ConfigureAwait(false);
            return s is null ? NotFound(id) : Results.Json(SightingDto.From(s));
        });

        app.MapGet("/api/sightings/{id}/thumbnail", async (string id, CancellationToken ct) =>
        {
            if (!ValidId(id, out var bad))
            {
                return bad;
            }

            var jpeg = await service.Store.GetThumbnailAsync(id, ct).ConfigureAwait(false);
            return jpeg is null ? NotFound(id) : Results.Bytes(jpeg, "image/jpeg");
        });

        app.MapGet("/api/sightings/{id}/where-else", async (string id, HttpRequest request, CancellationToken ct) =>
        {
            if (!ValidId(id, out var bad) || !TryWhereElse(request.Query, service, out var query, out bad))
            {
                return bad;
            }

            if (await service.Store.GetAsync(id, ct).ConfigureAwait(false) is null)
            {
                return NotFound(id);
            }

            var hits = await service.Store.WhereElseAsync(id, query!, ct).ConfigureAwait(false);
            return Results.Json(hits.Select(h => SightingDto.From(h.Sighting, h.Score)).ToList());
        });

        app.MapGet("/api/sightings/{id}/identity", async (string id, CancellationToken ct) =>
        {
            if (!ValidId(id, out var bad))
            {
                return bad;
            }

            var identity = await service.Store.IdentityOfAsync(id, ct).ConfigureAwait(false);
            return identity is null ? Error(StatusCodes.Status404NotFound, $"sighting {id} belongs to no identity yet") : Results.Json(ToDto(identity));
        });

        app.MapGet("/api/identities", async (HttpRequest request, CancellationToken ct) =>
        {
            if (!TryInt(request.Query, "limit", 100, 1, 1000, out var limit, out var bad))
            {
                return bad!;
            }

            var list = await service.Store.IdentitiesAsync(limit, ct).ConfigureAwait(false);
            return Results.Json(list.Select(ToDto).ToList());
        });

        app.MapPost("/api/feedback", async (FeedbackRequest? body, CancellationToken ct) =>
        {
            if (body is null)
            {
                return Error(StatusCodes.Status400BadRequest, "send JSON {\"a\": id, \"b\": id, \"decision\": \"confirm\"|\"reject\"}");
            }

            if (!ValidId(body.A ?? "", out var bad, "a") || !ValidId(body.B ?? "", out bad, "b"))
            {
                return bad;
            }

            if (body.Decision is not ("confirm" or "reject"))
            {
                return Error(StatusCodes.Status400BadRequest, $"decision '{body.Decision}' is not confirm or reject");
            }

            if (body.A == body.B)
            {
                return Error(StatusCodes.Status400BadRequest, "a and b are the same sighting");
            }

            foreach (var id in new[] { body.A!, body.B! })
            {
                if (await service.Store.GetAsync(id, ct).ConfigureAwait(false) is null)
                {
                    return NotFound(id);
                }
            }

            await service.Store.FeedbackAsync(body.A!, body.B!, body.Decision == "confirm", ct).ConfigureAwait(false);
            var identity = await service.Store.IdentityOfAsync(body.A!, ct).ConfigureAwait(false);
            return Results.Json(new { recorded = body.Decision, identity = identity is null ? null : ToDto(identity) });
        });

        app.MapPost("/api/search", (HttpRequest request, CancellationToken ct) => SearchByImagesAsync(request, service, ct));
    }

    private static async Task<IResult> SearchByImagesAsync(HttpRequest request, ServiceContext service, CancellationToken ct)
    {
        if (!TryWhereElse(request.Query, service, out var query, out var bad))
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
        catch (Exception e) when (e is InvalidDataException or Microsoft.AspNetCore.Http.BadHttpRequestException)
        {
            return Error(StatusCodes.Status413PayloadTooLarge, $"the upload was refused: {e.Message} (at most {service.Http.MaxUploadBytes} bytes)");
        }

        if (images.Count == 0)
        {
            return Error(StatusCodes.Status400BadRequest, "no image was sent");
        }

        var crops = new List<Crop>();
        try
        {
            crops.AddRange(images.Select(i => ImageUpload.Decode(i.Data, i.Name)));
        }
        catch (BadImageException e)
        {
            return Error(StatusCodes.Status415UnsupportedMediaType, e.Message);
        }

        float[] embedding;
        string version;
        using (var lease = service.Embedder.Acquire())
        {
            version = lease.Embedder.ModelVersion;
            embedding = (await lease.Embedder.EmbedAsync([crops], ct).ConfigureAwait(false))[0];
        }

        var hits = await service.Store.SearchAsync(embedding, version, query!, ct).ConfigureAwait(false);
        return Results.Json(hits.Select(h => SightingDto.From(h.Sighting, h.Score)).ToList());
    }

    private static IdentityDto ToDto(IdentityRecord i) => new(i.Id, i.SightingIds, i.Cameras, i.FirstSeen, i.LastSeen);

    internal static IResult Error(int status, string message) => Results.Json(new ErrorDto(message), statusCode: status);

    private static IResult NotFound(string id) => Error(StatusCodes.Status404NotFound, $"no sighting {id} is stored");

    /// <summary>Sighting ids are GUIDs; anything else is refused before it reaches the store.</summary>
    internal static bool ValidId(string id, out IResult bad, string name = "id")
    {
        if (id.Length <= 36 && Guid.TryParse(id, out _))
        {
            bad = Results.Empty;
            return true;
        }

        bad = Error(StatusCodes.Status400BadRequest, $"{name} '{Truncate(id)}' is not a sighting id (a GUID)");
        return false;
    }

    private static string Truncate(string s) => s.Length > 40 ? s[..40] + "..." : s;

    internal static bool ValidCamera(string s) =>
        s.Length is > 0 and <= 64 && s.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_' or '.');

    private static bool TryCamera(string? value, out string? camera, out IResult? bad)
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

    private static bool TryTime(IQueryCollection q, string name, out DateTimeOffset? time, out IResult? bad)
    {
        time = null;
        bad = null;
        var value = q[name].ToString();
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

    private static bool TryInt(IQueryCollection q, string name, int fallback, int min, int max, out int result, out IResult? bad)
    {
        bad = null;
        result = fallback;
        var value = q[name].ToString();
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

    private static bool TryWhereElse(IQueryCollection q, ServiceContext service, out WhereElseQuery? query, out IResult bad)
    {
        query = null;
        bad = Results.Empty;
        if (!TryInt(q, "k", service.WhereElse.K, 1, 1000, out var k, out var b) ||
            !TryTime(q, "from", out var from, out b) || !TryTime(q, "to", out var to, out b))
        {
            bad = b!;
            return false;
        }

        var minScore = service.WhereElse.MinSimilarity;
        var ms = q["minScore"].ToString();
        if (!string.IsNullOrEmpty(ms) &&
            (!float.TryParse(ms, NumberStyles.Float, CultureInfo.InvariantCulture, out minScore) || minScore is < -1 or > 1 || float.IsNaN(minScore)))
        {
            bad = Error(StatusCodes.Status400BadRequest, $"minScore '{Truncate(ms)}' is not a number from -1 to 1");
            return false;
        }

        List<string>? cameras = null;
        var cs = q["cameras"].ToString();
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
