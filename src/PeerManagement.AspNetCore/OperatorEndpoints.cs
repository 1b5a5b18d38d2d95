using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using static PeerManagement.AspNetCore.ConsoleItems;

namespace PeerManagement.AspNetCore;

/// <summary>
/// The handlers of the console: per-peer detail, recent events, bans, and the kick. Every input is parsed here, at
/// the edge, before anything changes; each refusal is the error envelope.
/// </summary>
internal static class OperatorEndpoints
{
    public const int MaxReasonLength = 200;

    public static IResult GetDetail(string host, PeerManager manager, IOptions<PeerManagementOptions> options)
    {
        if (!PeerHost.TryParse(host.AsSpan(), out var parsed, out var error))
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"'{PeerRealName.Quote(host)}' is not a host: {error}.");
        }

        return manager.GetPeerDetail(parsed) is { } detail
            ? PeerManagementResults.Success(DetailItem.From(detail, options.Value.DefaultPorts))
            : UnknownPeer(parsed.Value);
    }

    public static IResult GetEvents(HttpContext context, PeerEventLog events)
    {
        long after = 0;
        if (context.Request.Query.TryGetValue("after", out var text)
            && (!long.TryParse(text.ToString(), NumberStyles.None, CultureInfo.InvariantCulture, out after)))
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "after must be a whole number, the last event id seen (0 for all).");
        }

        var (list, last, truncated) = events.After(after);
        return PeerManagementResults.Success(new EventsItem([.. list.Select(e => EventItem.From(e.Sequence, e.Change))], last, truncated));
    }

    public static async Task<IResult> GetBansAsync(HttpContext context, PeerManager manager)
        => PeerManagementResults.Success((await manager.GetBansAsync(context.RequestAborted).ConfigureAwait(false)).Select(BanItem.From).ToArray());

    public static async Task<IResult> KickHostAsync(string host, HttpContext context, PeerManager manager, ILoggerFactory loggers)
    {
        if (!PeerHost.TryParse(host.AsSpan(), out var parsed, out var error) || !PeerMatch.TryParse(parsed.Value, out var match, out error))
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"'{PeerRealName.Quote(host)}' is not a host: {error}.");
        }

        TimeSpan? banFor = null;
        if (context.Request.Query.TryGetValue("ban_for", out var banText))
        {
            if (!BanDuration.TryParse(banText.ToString(), out var duration, out error))
            {
                return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"ban_for: {error}.");
            }

            banFor = duration;
        }

        // Checked before anything changes, so an unknown host is a 404 and not a ban of nobody.
        if (!manager.GetPeers().Any(p => match.Matches(p.Peer.Host, p.Peer.IPAddress)))
        {
            return UnknownPeer(parsed.Value);
        }

        return await KickAsync(context, manager, match, banFor, reason: null, loggers).ConfigureAwait(false);
    }

    public static async Task<IResult> KickAsync(HttpContext context, PeerManager manager, IOptions<PeerManagementConsoleOptions> options, ILoggerFactory loggers)
    {
        var (request, failure) = await ReadBanRequestAsync(context, options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        return failure ?? await KickAsync(context, manager, request.Match!, request.Duration, request.Reason, loggers).ConfigureAwait(false);
    }

    // A kick or ban body, read and checked whole before anything changes: the match, the duration, the reason.
    private static async Task<((PeerMatch? Match, TimeSpan? Duration, string? Reason) Request, IResult? Failure)> ReadBanRequestAsync(HttpContext context, int maxBodyBytes)
    {
        var (request, failure) = await ReadBodyAsync<KickRequest>(context, maxBodyBytes).ConfigureAwait(false);
        if (failure is not null)
        {
            return (default, failure);
        }

        var (match, matchError) = ParseMatch(request!.Match);
        if (match is null)
        {
            return (default, matchError!);
        }

        TimeSpan? duration = null;
        if (request.BanFor is not null)
        {
            if (!BanDuration.TryParse(request.BanFor, out var parsed, out var error))
            {
                return (default, PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"ban_for: {error}."));
            }

            duration = parsed;
        }

        return CheckReason(request.Reason) is { } reasonError ? (default, reasonError) : ((match, duration, request.Reason), null);
    }

    public static async Task<IResult> AddBanAsync(HttpContext context, PeerManager manager, IOptions<PeerManagementConsoleOptions> options, ILoggerFactory loggers)
    {
        var (request, failure) = await ReadBanRequestAsync(context, options.Value.MaxRequestBodyBytes).ConfigureAwait(false);
        if (failure is not null)
        {
            return failure;
        }

        var (match, duration, reason) = request;
        try
        {
            var ban = await manager.AddBanAsync(match!, duration, reason, context.RequestAborted).ConfigureAwait(false);
            HttpLog.OperatorBan(Logger(loggers), match!.ToString(), ban.Expires?.ToString("O", CultureInfo.InvariantCulture) ?? "never");
            return PeerManagementResults.Success(BanItem.From(ban));
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal)
        {
            return refusal;
        }
    }

    public static async Task<IResult> RemoveBanAsync(HttpContext context, PeerManager manager, ILoggerFactory loggers)
    {
        var (match, matchError) = ParseMatch(context.Request.Query["match"].ToString());
        if (match is null)
        {
            return matchError!;
        }

        BanRemoval removal;
        try
        {
            removal = await manager.RemoveBanAsync(match, context.RequestAborted).ConfigureAwait(false);
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal)
        {
            return refusal;
        }

        HttpLog.OperatorUnban(Logger(loggers), match.ToString(), removal.ToString());
        return removal switch
        {
            BanRemoval.Removed => PeerManagementResults.Success(new BanRemovalItem(match.ToString(), "removed")),
            BanRemoval.RemovedButConfigured => PeerManagementResults.Success(new BanRemovalItem(match.ToString(), "removed_but_configured")),
            BanRemoval.Configured => PeerManagementResults.Failure(StatusCodes.Status409Conflict, $"{match} comes from the configured blacklist and cannot be removed at run time; change the configuration."),
            _ => PeerManagementResults.Failure(StatusCodes.Status404NotFound, $"No run-time ban of {match}."),
        };
    }

    private static async Task<IResult> KickAsync(HttpContext context, PeerManager manager, PeerMatch match, TimeSpan? banFor, string? reason, ILoggerFactory loggers)
    {
        try
        {
            var result = await manager.KickAsync(match, banFor, reason, context.RequestAborted).ConfigureAwait(false);
            HttpLog.OperatorKick(Logger(loggers), match.ToString(), result.Forgotten.Count, result.Ban is null ? "no ban" : result.Ban.Expires?.ToString("O", CultureInfo.InvariantCulture) ?? "never");
            return PeerManagementResults.Success(new KickItem(
                match.ToString(),
                [.. result.Forgotten.Select(h => h.Value)],
                result.SessionsClosed,
                result.Ban is null ? null : BanItem.From(result.Ban)));
        }
        catch (Exception ex) when (Refusal(ex) is { } refusal)
        {
            return refusal;
        }
    }

    /// <summary>The answer to a refusal of the manager: nothing was changed.</summary>
    private static IResult? Refusal(Exception exception) => exception switch
    {
        ArgumentException e => PeerManagementResults.Failure(StatusCodes.Status400BadRequest, e.Message.Split(" (Parameter", 2)[0]),
        IOException => PeerManagementResults.Failure(StatusCodes.Status503ServiceUnavailable, "The ban could not be saved; nothing was changed."),
        _ => null,
    };

    private static (PeerMatch? Match, IResult? Error) ParseMatch(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "match is missing: a host, an IP address, a CIDR range or *.domain."));
        }

        return PeerMatch.TryParse(text, out var match, out var error)
            ? (match, null)
            : (null, PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"match: {error}."));
    }

    private static IResult? CheckReason(string? reason)
        => reason is { Length: > MaxReasonLength }
            ? PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"reason is longer than {MaxReasonLength} characters.")
            : null;

    private static IResult UnknownPeer(string host)
        => PeerManagementResults.Failure(StatusCodes.Status404NotFound, $"No peer matches '{PeerRealName.Quote(host)}'.");

    private static async Task<(T? Value, IResult? Failure)> ReadBodyAsync<T>(HttpContext context, int limit)
        where T : class
    {
        if (context.Request.ContentLength > limit)
        {
            return (null, TooLarge(limit));
        }

        // A body without a length (chunked) is cut at the same limit while it is read.
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } sizeFeature)
        {
            sizeFeature.MaxRequestBodySize = limit;
        }

        try
        {
            var value = await context.Request.ReadFromJsonAsync<T>(context.RequestAborted).ConfigureAwait(false);
            return value is null
                ? (null, PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "The body must be a JSON object."))
                : (value, null);
        }
        catch (JsonException)
        {
            return (null, PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "The body must be a JSON object {\"match\": \"...\", \"ban_for\": \"1h\", \"reason\": \"...\"} with string values."));
        }
        catch (InvalidOperationException)
        {
            return (null, PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "The body must be JSON (Content-Type: application/json)."));
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TooLarge(limit));
        }
    }

    private static IResult TooLarge(int limit)
        => PeerManagementResults.Failure(StatusCodes.Status413PayloadTooLarge, $"The body is larger than {limit} bytes.");

    private static ILogger Logger(ILoggerFactory loggers) => loggers.CreateLogger("PeerManagement.AspNetCore.Console");
}
