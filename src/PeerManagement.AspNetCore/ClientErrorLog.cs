using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PeerManagement.AspNetCore;

/// <summary>
/// Logs failures caused by the client (oversized or malformed bodies, disconnects) at Information, without the
/// exception, and at most one line per <see cref="Window"/> for each <see cref="ClientErrorKind"/>, counting the
/// ones not logged: one client must not be able to flood the log.
/// </summary>
internal sealed class ClientErrorLog(ILogger logger, TimeProvider timeProvider)
{
    /// <summary>At most one line per kind in this much time.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMinutes(1);

    private readonly Lock _gate = new();
    private readonly Slot[] _slots = new Slot[Enum.GetValues<ClientErrorKind>().Length];

    /// <summary>
    /// The kind of <paramref name="exception"/> when the client caused it, or <see langword="null"/> when it is a
    /// failure of the server's own code.
    /// </summary>
    public static ClientErrorKind? Classify(Exception exception, HttpContext context)
    {
        if (exception is BadHttpRequestException bad)
        {
            // A body cut short by a client that left is a bad request too: one kind whatever wins the race.
            return bad.StatusCode == StatusCodes.Status413PayloadTooLarge ? ClientErrorKind.BodyTooLarge : ClientErrorKind.BadRequest;
        }

        // Only the failures a gone client causes: anything else is a defect of ours, even when the client left too.
        return exception is ConnectionResetException
            || (exception is OperationCanceledException or IOException && context.RequestAborted.IsCancellationRequested)
            ? ClientErrorKind.Disconnected
            : null;
    }

    /// <summary>Logs the failure unless a line of its kind was written less than <see cref="Window"/> ago.</summary>
    public void Report(ClientErrorKind kind, HttpContext context, string message)
    {
        long notLogged;
        lock (_gate)
        {
            ref var slot = ref _slots[(int)kind];
            var now = timeProvider.GetTimestamp();
            if (slot.Logged && timeProvider.GetElapsedTime(slot.LastLine, now) < Window)
            {
                slot.NotLogged++;
                return;
            }

            notLogged = slot.NotLogged;
            slot = new Slot { Logged = true, LastLine = now };
        }

        HttpLog.ClientError(logger, kind, context.Request.Method, context.Request.Path, message, notLogged, Window);
    }

    private struct Slot
    {
        public bool Logged;
        public long LastLine;
        public long NotLogged;
    }
}
