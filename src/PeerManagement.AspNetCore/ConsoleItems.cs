using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace PeerManagement.AspNetCore;

/// <summary>The JSON shapes of the console endpoints (snake_case, as the rest of the API).</summary>
internal static class ConsoleItems
{
    internal sealed record KickRequest(
        [property: JsonPropertyName("match")] string? Match,
        [property: JsonPropertyName("ban_for")] string? BanFor,
        [property: JsonPropertyName("reason")] string? Reason);

    internal sealed record KickItem(
        [property: JsonPropertyName("match")] string Match,
        [property: JsonPropertyName("forgotten")] IReadOnlyList<string> Forgotten,
        [property: JsonPropertyName("sessions_closed")] int SessionsClosed,
        [property: JsonPropertyName("ban")] BanItem? Ban);

    internal sealed record BanItem(
        [property: JsonPropertyName("match")] string Match,
        [property: JsonPropertyName("expires")] DateTimeOffset? Expires,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("created")] DateTimeOffset? Created,
        [property: JsonPropertyName("configured")] bool Configured)
    {
        public static BanItem From(PeerBan ban) => new(ban.Match, ban.Expires, ban.Reason, ban.Created, ban.Configured);
    }

    internal sealed record BanRemovalItem(
        [property: JsonPropertyName("match")] string Match,
        [property: JsonPropertyName("result")] string Result);

    internal sealed record EventItem(
        [property: JsonPropertyName("id")] long Id,
        [property: JsonPropertyName("host")] string Host,
        [property: JsonPropertyName("old_status")] string? OldStatus,
        [property: JsonPropertyName("new_status")] string? NewStatus,
        [property: JsonPropertyName("reason")] string? Reason,
        [property: JsonPropertyName("time")] DateTimeOffset Time)
    {
        public static EventItem From(long id, PeerStatusChange change)
            => new(id, change.Host.Value, Status(change.OldStatus), Status(change.NewStatus), change.Reason, change.Time);

        private static string? Status(PeerStatus? status) => status?.ToString().ToLowerInvariant();
    }

    internal sealed record EventsItem(
        [property: JsonPropertyName("events")] IReadOnlyList<EventItem> Events,
        [property: JsonPropertyName("last")] long Last,
        [property: JsonPropertyName("truncated")] bool Truncated);

    internal sealed record ReachabilityItem(
        [property: JsonPropertyName("ipv4")] bool IPv4,
        [property: JsonPropertyName("ipv6")] bool IPv6);

    internal sealed record DetailItem(
        [property: JsonPropertyName("host")] string Host,
        [property: JsonPropertyName("real_name")] string RealName,
        [property: JsonPropertyName("status")] string Status,
        [property: JsonPropertyName("source")] string Source,
        [property: JsonPropertyName("ip_address")] string? IPAddress,
        [property: JsonPropertyName("tcp_port")] int? TcpPort,
        [property: JsonPropertyName("ssl_port")] int? SslPort,
        [property: JsonPropertyName("alternative_ports")] IReadOnlyList<string> AlternativePorts,
        [property: JsonPropertyName("features")] JsonObject? Features,
        [property: JsonPropertyName("last_good")] DateTimeOffset? LastGood,
        [property: JsonPropertyName("last_try")] DateTimeOffset? LastTry,
        [property: JsonPropertyName("try_count")] int TryCount,
        [property: JsonPropertyName("bad_reason")] string? BadReason,
        [property: JsonPropertyName("internal_bucket")] string? InternalBucket,
        [property: JsonPropertyName("external_bucket")] string? ExternalBucket,
        [property: JsonPropertyName("next_check")] DateTimeOffset? NextCheck,
        [property: JsonPropertyName("checking")] bool Checking,
        [property: JsonPropertyName("blacklisted")] bool Blacklisted)
    {
        public static DetailItem From(PeerDetail detail, DefaultPorts defaults)
        {
            var peer = detail.Snapshot.Peer;
            return new DetailItem(
                peer.Host.Value,
                peer.RealName.Format(defaults),
                detail.Snapshot.Status.ToString().ToLowerInvariant(),
                peer.Source,
                peer.IPAddress?.ToString(),
                peer.Ports.TcpPort,
                peer.Ports.SslPort,
                [.. detail.Snapshot.AlternativePorts.Select(p => $"s{p.SslPort} t{p.TcpPort}")],
                peer.Features?.ToJsonObject(),
                peer.LastGood,
                peer.LastTry,
                peer.TryCount,
                peer.BadReason,
                detail.InternalBucket,
                detail.ExternalBucket,
                detail.NextCheck,
                detail.Checking,
                detail.Blacklisted);
        }
    }
}
