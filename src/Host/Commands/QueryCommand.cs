using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text.Json;
using ReId.Host.Http;

namespace ReId.Host.Commands;

/// <summary><c>reid query</c>: asks a running service where else a sighting's person (or the person in images) appeared.</summary>
internal static class QueryCommand
{
    public static Command Create()
    {
        var sighting = new Option<string?>("--sighting") { Description = "A stored sighting's id." };
        var images = new Option<string[]>("--image") { Description = "Person images (JPEG or PNG) of one person.", AllowMultipleArgumentsPerToken = true };
        var json = new Option<bool>("--json") { Description = "Print the service's JSON answer." };
        var url = new Option<string>("--url") { Description = "The service's address.", DefaultValueFactory = _ => "http://127.0.0.1:8080" };
        var key = new Option<string?>("--key") { Description = "The API key (default: the REID_API_KEY environment variable)." };
        var k = new Option<int>("--k") { Description = "How many results at most.", DefaultValueFactory = _ => 20 };
        var command = new Command("query", "Where else did this person appear? Asks a running service (reid serve or reid demo).");
        foreach (var o in new Option[] { sighting, images, json, url, key, k })
        {
            command.Options.Add(o);
        }

        command.SetAction(async (parse, cancellationToken) =>
        {
            var id = parse.GetValue(sighting);
            var files = parse.GetValue(images) ?? [];
            if (id is null == (files.Length == 0))
            {
                Console.Error.WriteLine("reid query: give either --sighting ID or --image FILE...");
                return 2;
            }

            if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var baseUri))
            {
                Console.Error.WriteLine($"reid query: --url '{parse.GetValue(url)}' is not an absolute URL");
                return 2;
            }

            using var client = new HttpClient { BaseAddress = baseUri };
            var apiKey = parse.GetValue(key) ?? Environment.GetEnvironmentVariable("REID_API_KEY");
            if (!string.IsNullOrEmpty(apiKey))
            {
                client.DefaultRequestHeaders.Add(WebServer.ApiKeyHeader, apiKey);
            }

            HttpResponseMessage response;
            try
            {
                if (id is not null)
                {
                    if (!Guid.TryParse(id, out _))
                    {
                        Console.Error.WriteLine($"reid query: --sighting '{id}' is not a sighting id (a GUID)");
                        return 2;
                    }

                    response = await client.GetAsync(new Uri($"/api/sightings/{id}/where-else?k={parse.GetValue(k)}", UriKind.Relative), cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    using var form = new MultipartFormDataContent();
                    foreach (var file in files)
                    {
                        if (!File.Exists(file))
                        {
                            Console.Error.WriteLine($"reid query: --image '{file}' does not exist");
                            return 2;
                        }

                        var content = new ByteArrayContent(await File.ReadAllBytesAsync(file, cancellationToken).ConfigureAwait(false));
                        content.Headers.ContentType = new MediaTypeHeaderValue(file.EndsWith(".png", StringComparison.OrdinalIgnoreCase) ? "image/png" : "image/jpeg");
                        form.Add(content, "images", Path.GetFileName(file));
                    }

                    response = await client.PostAsync(new Uri($"/api/search?k={parse.GetValue(k)}", UriKind.Relative), form, cancellationToken).ConfigureAwait(false);
                }
            }
            catch (HttpRequestException e)
            {
                Console.Error.WriteLine($"reid query: the service at {baseUri} could not be reached: {e.Message}");
                return 1;
            }

            using (response)
            {
                var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                {
                    Console.Error.WriteLine($"reid query: {(int)response.StatusCode} {body}");
                    return 1;
                }

                if (parse.GetValue(json))
                {
                    Console.WriteLine(body);
                    return 0;
                }

                using var doc = JsonDocument.Parse(body);
                Console.WriteLine($"{"score",6}  {"camera",-12} {"track",6}  {"first seen",-24} {"last seen",-24} sighting");
                foreach (var hit in doc.RootElement.EnumerateArray())
                {
                    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                        $"{hit.GetProperty("score").GetSingle(),6:0.000}  {hit.GetProperty("camera").GetString(),-12} {hit.GetProperty("track").GetInt64(),6}  " +
                        $"{hit.GetProperty("firstSeen").GetDateTimeOffset(),-24:u} {hit.GetProperty("lastSeen").GetDateTimeOffset(),-24:u} {hit.GetProperty("id").GetString()}"));
                }

                return 0;
            }
        });
        return command;
    }
}
