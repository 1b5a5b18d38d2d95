using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace PeerManagement.AspNetCore;

/// <summary>The handlers of <c>GET /peers</c>, <c>GET /peers/info</c> and <c>POST /peers</c>, working on the <see cref="PeerTable"/>.</summary>
internal static class PeerEndpoints
{
    public static IResult GetPeers(PeerTable table, IOptions<PeerManagementOptions> options)
    {
        var defaults = options.Value.DefaultPorts;
        var peers = table.GetPeers();
        var items = new PeerItem[peers.Count];
        for (var i = 0; i < items.Length; i++)
        {
            items[i] = PeerItem.From(peers[i], defaults);
        }

        return PeerManagementResults.Success(items);
    }

    public static IResult GetInfo(PeerTable table, HttpContext context)
    {
        var counts = table.GetInfo();
        var reachability = context.RequestServices.GetService<PeerManager>()?.Reachability is { } found ? new ConsoleItems.ReachabilityItem(found.IPv4, found.IPv6) : null;
        return PeerManagementResults.Success(new InfoItem(counts.Bad, counts.Good, counts.Never, counts.Stale, counts.Total, reachability));
    }

    public static async Task<IResult> AddPeerAsync(HttpContext context, IOptions<PeerManagementOptions> options, ILoggerFactory loggers)
    {
        string? text;
        try
        {
            var request = await context.Request.ReadFromJsonAsync<AddPeerRequest>(context.RequestAborted).ConfigureAwait(false);
            text = request?.RealName;
        }
        catch (JsonException)
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "The body must be a JSON object {\"real_name\": \"host [vX.Y] [s[port]] [t[port]]\"}.");
        }
        catch (InvalidOperationException)
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "The body must be JSON (Content-Type: application/json).");
        }

        var settings = options.Value;
        if (string.IsNullOrWhiteSpace(text))
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, "real_name is missing.");
        }

        if (!PeerRealName.TryParse(text.AsSpan(), settings.DefaultPorts, out var name, out var error))
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, $"'{text}' is not a valid peer real name: {error}.");
        }

        // The manager takes the peer: the same acceptance rules as every other source, and a known peer with new
        // ports is checked again early (once discovery runs; without a chain view it never starts).
        PeerNoteResult noted;
        try
        {
            noted = await context.RequestServices.GetRequiredService<PeerManager>().AddPeerAsync(text, context.RequestAborted).ConfigureAwait(false);
        }
        catch (ArgumentException ex)
        {
            return PeerManagementResults.Failure(StatusCodes.Status400BadRequest, ex.Message);
        }

        var result = noted switch
        {
            PeerNoteResult.Added => "added",
            PeerNoteResult.PortsChanged => "ports_changed",
            _ => "known",
        };
        HttpLog.AdminAdd(loggers.CreateLogger("PeerManagement.AspNetCore.Peers"), name.Format(settings.DefaultPorts), result);
        return PeerManagementResults.Success(new AddPeerResult(name.Host.Value, result));
    }

    internal sealed record AddPeerRequest([property: JsonPropertyName("real_name")] string? RealName);

    internal sealed record AddPeerResult([property: JsonPropertyName("host")] string Host, [property: JsonPropertyName("result")] string Result);

    internal sealed record InfoItem(
        [property: JsonPropertyName("bad")] int Bad,
        [property: JsonPropertyName("good")] int Good,
        [property: JsonPropertyName("never")] int Never,
        [property: JsonPropertyName("stale")] int Stale,
        [property: JsonPropertyName("total")] int Total,
        [property: JsonPropertyName("reachable"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] ConsoleItems.ReachabilityItem? Reachable);

    internal sealed record PeerItem(
        [property: JsonPropertyName("host")] string Host,
        [property: JsonPropertyName("real_name")] string RealName,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("ip_address")] string? IPAddress,
        [property: JsonPropertyName("tcp_port")] int? TcpPort,
        [property: JsonPropertyName("ssl_port")] int? SslPort,
        [property: JsonPropertyName("last_good")] DateTimeOffset? LastGood,
        [property: JsonPropertyName("last_try")] DateTimeOffset? LastTry,
        [property: JsonPropertyName("try_count")] int TryCount,
        [property: JsonPropertyName("bad_reason")] string? BadReason)
    {
        public static PeerItem From(PeerSnapshot snapshot, DefaultPorts defaults)
        {
            var peer = snapshot.Peer;
            return new PeerItem(
                peer.Host.Value,
                peer.RealName.Format(defaults),
                snapshot.Status.ToString().ToLowerInvariant(),
                peer.Source,
                peer.IPAddress?.ToString(),
                peer.Ports.TcpPort,
                peer.Ports.SslPort,
                peer.LastGood,
                peer.LastTry,
                peer.TryCount,
                peer.BadReason);
        }
    }

    internal static string FormatSeconds(TimeSpan value) => Math.Max(1, (long)Math.Ceiling(value.TotalSeconds)).ToString(CultureInfo.InvariantCulture);
}
