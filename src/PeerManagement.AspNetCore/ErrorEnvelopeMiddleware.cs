using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement.AspNetCore;

/// <summary>
/// Turns every failure into the error envelope: unhandled exceptions become 500 (400 for a bad request), and
/// answers with an error status and no body (404 of an unknown route, 400, 405, ...) get the envelope with
/// their status kept.
/// </summary>
internal sealed class ErrorEnvelopeMiddleware(RequestDelegate next, ILogger<ErrorEnvelopeMiddleware> logger, IOptions<PeerManagementHttpOptions> options)
{
    public const string GenericMessage = "Internal server error";

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            // The caller went away: nobody to answer.
            return;
        }
        catch (Exception exception)
        {
            HttpLog.UnhandledException(logger, context.Request.Method, context.Request.Path, exception);
            if (context.Response.HasStarted)
            {
                HttpLog.ResponseStarted(logger, context.Request.Method, context.Request.Path);
                throw;
            }

            var (status, message) = Describe(exception);
            context.Response.Clear();
            await Envelope.WriteFailureAsync(context, status, message).ConfigureAwait(false);
            return;
        }

        var response = context.Response;
        if (response.StatusCode >= 400 && !response.HasStarted && response.ContentLength is null or 0 && string.IsNullOrEmpty(response.ContentType))
        {
            await Envelope.WriteFailureAsync(context, response.StatusCode, ReasonPhrases.GetReasonPhrase(response.StatusCode) is { Length: > 0 } reason ? reason : "Error").ConfigureAwait(false);
        }
    }

    private (int Status, string Message) Describe(Exception exception)
    {
        if (exception is BadHttpRequestException bad)
        {
            return (bad.StatusCode, bad.Message);
        }

        if (options.Value.DetailedErrors)
        {
            return (StatusCodes.Status500InternalServerError, $"{exception.GetType().Name}: {exception.Message}");
        }

        return (StatusCodes.Status500InternalServerError, exception is PeerManagementException ? exception.Message : GenericMessage);
    }
}
