using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement.AspNetCore;

/// <summary>
/// Turns every failure into the error envelope: unhandled exceptions become 500 (400, 413, ... for a bad request),
/// and answers with an error status and no body (404 of an unknown route, 400, 405, ...) get the envelope with
/// their status kept. Failures of our code are logged at Error with the exception; failures the client caused
/// (bad or oversized bodies, disconnects) through <see cref="ClientErrorLog"/>, which a client cannot flood.
/// </summary>
internal sealed class ErrorEnvelopeMiddleware(
    RequestDelegate next,
    ILogger<ErrorEnvelopeMiddleware> logger,
    IOptions<PeerManagementHttpOptions> options,
    TimeProvider timeProvider)
{
    public const string GenericMessage = "Internal server error";

    private readonly ClientErrorLog _clientErrors = new(logger, timeProvider);

    public async Task InvokeAsync(HttpContext context)
    {
        try
        {
            await next(context).ConfigureAwait(false);
        }
        catch (Exception exception) when (ClientErrorLog.Classify(exception, context) is { } kind)
        {
            await AnswerClientErrorAsync(context, kind, exception).ConfigureAwait(false);
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

    private async Task AnswerClientErrorAsync(HttpContext context, ClientErrorKind kind, Exception exception)
    {
        var bad = exception as BadHttpRequestException;
        _clientErrors.Report(kind, context, bad is not null
            ? string.Create(CultureInfo.InvariantCulture, $"{bad.StatusCode} {bad.Message}")
            : $"the client went away ({exception.GetType().Name})");
        if (bad is null || context.RequestAborted.IsCancellationRequested)
        {
            return; // nobody to answer
        }

        if (context.Response.HasStarted)
        {
            // Half an answer must not look whole; rethrowing would log the client's fault as ours.
            context.Abort();
            return;
        }

        try
        {
            context.Response.Clear();
            await Envelope.WriteFailureAsync(context, bad.StatusCode, bad.Message).ConfigureAwait(false);
        }
        catch (Exception e) when (e is OperationCanceledException or IOException)
        {
            // The client left while we answered: nothing more to do, and nothing worth a line.
        }
    }

    private (int Status, string Message) Describe(Exception exception)
    {
        if (options.Value.DetailedErrors)
        {
            return (StatusCodes.Status500InternalServerError, $"{exception.GetType().Name}: {exception.Message}");
        }

        return (StatusCodes.Status500InternalServerError, exception is PeerManagementException ? exception.Message : GenericMessage);
    }
}
