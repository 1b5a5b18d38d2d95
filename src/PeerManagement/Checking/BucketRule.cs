using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// The sybil rule of admission: another recent good peer in the same internal bucket (an IPv4 address, an IPv6
/// /64) makes a peer bad; onion peers are refused once they are over half of all recent good peers and that half
/// is at least 100. Checks of one bucket are serialised (<see cref="BucketLocks"/>) so that the rule has no race.
/// The per-bucket part is <see cref="PeerManagementOptions.OneGoodPeerPerAddress"/>; the per-network part (at most
/// <see cref="PeerManagementOptions.MaxGoodPeersPerNetwork"/> good peers in one IPv4 /16 or IPv6 /56) and the
/// per-operator part (at most <see cref="PeerManagementOptions.MaxGoodPeersPerOperator"/> good peers presenting one
/// TLS key) are checked after it.
/// </summary>
internal sealed class BucketRule(PeerTable table, TimeProvider timeProvider, bool oneGoodPeerPerBucket = true, int maxGoodPerNetwork = 0, int maxGoodPerOperator = 0)
{
    /// <summary>How a refusal by the per-address part begins (the bucket follows).</summary>
    internal const string BucketVerdict = "too many peers in bucket";

    /// <summary>How a refusal by the per-network part begins (the network follows).</summary>
    internal const string NetworkVerdict = "too many good peers in network";

    /// <summary>The refusal by the per-operator part.</summary>
    internal const string OperatorVerdict = "too many good peers of one operator (TLS key)";

    /// <summary>Why <paramref name="host"/>, reached at <paramref name="address"/>, breaks the rule, or <see langword="null"/>.</summary>
    public string? Violation(PeerHost host, IPAddress? address, string bucket, long serverKeyId = 0)
    {
        var now = timeProvider.GetUtcNow();
        if (host.IsOnion)
        {
            if (CapViolation(host, null, serverKeyId, now) is { } tooMany)
            {
                return tooMany;
            }

            var good = 0;
            var onion = 0;
            foreach (var other in table.GetRecords())
            {
                if (other.Host != host && other.GetStatus(now, table.StaleAfter) == PeerStatus.Good)
                {
                    good++;
                    if (other.Host.IsOnion)
                    {
                        onion++;
                    }
                }
            }

            return onion > good / 2 && good / 2 >= 100 ? "too many onion peers already" : null;
        }

        var ip = address ?? host.Address!;
        return (oneGoodPeerPerBucket ? AddressViolation(host, ip, bucket, now) : null) ?? CapViolation(host, ip, serverKeyId, now);
    }

    private string? AddressViolation(PeerHost host, IPAddress ip, string bucket, DateTimeOffset now)
    {
        if (ip.AddressFamily == AddressFamily.InterNetwork)
        {
            // An IPv4 address is its own bucket: the entries last connected to it, and its literal.
            foreach (var other in table.FindByAddress(ip))
            {
                if (other.Host != host && other.GetStatus(now, table.StaleAfter) == PeerStatus.Good)
                {
                    return $"{BucketVerdict} {bucket}";
                }
            }

            var literal = table.Find(PeerHost.FromAddress(ip));
            return literal is not null && literal.Peer.Host != host && literal.Status == PeerStatus.Good
                ? $"{BucketVerdict} {bucket}"
                : null;
        }

        foreach (var other in table.GetRecords())
        {
            if (other.Host != host
                && !other.Host.IsOnion
                && other.GetStatus(now, table.StaleAfter) == PeerStatus.Good
                && PeerBuckets.GetInternalBucket(other.Host, other.IPAddress) == bucket)
            {
                return $"{BucketVerdict} {bucket}";
            }
        }

        return null;
    }

    // The per-network and per-operator caps in one scan of the table, like the IPv6 bucket's: one check at a time
    // per bucket, and checks are rare next to it. Networks that are not public (a lab on loopback, a LAN) are the
    // operator's own, so the network cap leaves them alone; a peer without a TLS key has no operator to count.
    private string? CapViolation(PeerHost host, IPAddress? ip, long serverKeyId, DateTimeOffset now)
    {
        var network = maxGoodPerNetwork > 0 && ip is not null && PeerHost.IsPublicAddress(ip) ? PeerBuckets.GetExternalNetwork(ip) : (NetworkPrefix?)null;
        var byOperator = maxGoodPerOperator > 0 && serverKeyId != 0;
        if (network is null && !byOperator)
        {
            return null;
        }

        int inNetwork = 0, ofOperator = 0;
        foreach (var other in table.GetRecords())
        {
            if (other.Host == host || other.GetStatus(now, table.StaleAfter) != PeerStatus.Good)
            {
                continue;
            }

            if (byOperator && other.ServerKeyId == serverKeyId && ++ofOperator >= maxGoodPerOperator)
            {
                return OperatorVerdict;
            }

            if (network is { } own
                && !other.Host.IsOnion
                && (other.IPAddress ?? other.Host.Address) is { } otherAddress
                && PeerBuckets.GetExternalNetwork(otherAddress) == own
                && ++inNetwork >= maxGoodPerNetwork)
            {
                return $"{NetworkVerdict} {own}";
            }
        }

        return null;
    }
}
