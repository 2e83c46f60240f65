using System.Text.Json;
using System.Text.Json.Nodes;
using PuppeteerSharp;

namespace ReId.Host.Tests;

/// <summary>
/// Debian's chromium, headless, driven through PuppeteerSharp (the DevTools protocol): the installed browser is
/// used as it is, never a downloaded one. One page; the browser and its profile are gone on dispose.
/// </summary>
internal sealed class HeadlessChromium : IAsyncDisposable
{
    private readonly IBrowser _browser;
    private readonly IPage _page;

    private HeadlessChromium(IBrowser browser, IPage page)
    {
        _browser = browser;
        _page = page;
    }

    public static string? Find() =>
        new[] { Environment.GetEnvironmentVariable("REID_CHROMIUM"), "/usr/bin/chromium", "/usr/bin/chromium-browser" }
            .FirstOrDefault(p => !string.IsNullOrEmpty(p) && File.Exists(p));

    public static async Task<HeadlessChromium> StartAsync(string executable)
    {
        var browser = await Puppeteer.LaunchAsync(new LaunchOptions
        {
            ExecutablePath = executable,
            Headless = true,
            Args = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-dev-shm-usage", "--disable-background-networking"],
            DefaultViewport = new ViewPortOptions { Width = 1280, Height = 1000 },
            Timeout = 60_000,
        }).ConfigureAwait(false);
        try
        {
            var pages = await browser.PagesAsync().ConfigureAwait(false);
            var page = pages.Length > 0 ? pages[0] : await browser.NewPageAsync().ConfigureAwait(false);
            return new HeadlessChromium(browser, page);
        }
        catch
        {
            await browser.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    public Task NavigateAsync(Uri url) => _page.GoToAsync(url.ToString());

    /// <summary>Runs the page's clocks in another time zone (an IANA id).</summary>
    public Task EmulateTimezoneAsync(string zone) => _page.EmulateTimezoneAsync(zone);

    /// <summary>Evaluates a JavaScript expression in the page (promises awaited) and returns its JSON value.</summary>
    public async Task<JsonNode?> EvaluateAsync(string expression)
    {
        try
        {
            var value = await _page.EvaluateExpressionAsync<JsonElement>(expression).ConfigureAwait(false);
            return value.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null ? null : JsonNode.Parse(value.GetRawText());
        }
        catch (EvaluationFailedException e)
        {
            throw new InvalidOperationException($"page script failed: {e.Message}", e);
        }
    }

    /// <summary>Polls a boolean expression until it is true; false when the time is up.</summary>
    public async Task<bool> WaitForAsync(string expression, TimeSpan timeout)
    {
        try
        {
            await _page.WaitForExpressionAsync(expression, new WaitForFunctionOptions { Timeout = (int)timeout.TotalMilliseconds, PollingInterval = 100 })
                .ConfigureAwait(false);
            return true;
        }
        catch (WaitTaskTimeoutException)
        {
            return false;
        }
    }

    public Task<byte[]> ScreenshotAsync() => _page.ScreenshotDataAsync(new ScreenshotOptions { FullPage = true, Type = ScreenshotType.Png });

    public async ValueTask DisposeAsync()
    {
        await _browser.CloseAsync().ConfigureAwait(false);
        await _browser.DisposeAsync().ConfigureAwait(false);
    }
}
