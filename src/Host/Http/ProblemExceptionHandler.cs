using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace ReId.Host.Http;

/// <summary>
/// Turns an exception that left a route into problem details: a binding failure (malformed JSON, a wrong content
/// type, a body too large) keeps its 4xx status and says what failed, with the JSON error's line and position;
/// anything else is a 500 whose detail points to the log entry, never a stack trace.
/// </summary>
internal sealed partial class ProblemExceptionHandler(IProblemDetailsService problems, ILogger<ProblemExceptionHandler> logger) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext context, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && context.RequestAborted.IsCancellationRequested)
        {
            return true; // the client went away: nobody reads an answer
        }

        int status;
        string detail;
        if (exception is BadHttpRequestException bad)
        {
            status = bad.StatusCode;
            detail = bad.InnerException is JsonException json ? $"{bad.Message} {json.Message}" : bad.Message;
        }
        else
        {
            status = StatusCodes.Status500InternalServerError;
            detail = $"the request failed inside the service ({exception.GetType().Name}); the service log has it under request {context.TraceIdentifier}";
            LogFailed(logger, exception, context.Request.Method, context.Request.Path.ToString(), context.TraceIdentifier);
        }

        context.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = context,
            Exception = exception,
            ProblemDetails = { Status = status, Detail = detail },
        }).ConfigureAwait(false);
    }

    [LoggerMessage(EventId = 41, Level = LogLevel.Error, Message = "{Method} {Path} failed (request {RequestId})")]
    private static partial void LogFailed(ILogger logger, Exception exception, string method, string path, string requestId);
}
