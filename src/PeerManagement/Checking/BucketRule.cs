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
    /// <summary>Why <paramref name="host"/>, reached at <paramref name="address"/>, breaks the rule, or <see langword="null"/>.</summary>
    public string? Violation(PeerHost host, IPAddress? address, string bucket, long serverKeyId = 0)
    {
        if (OperatorViolation(host, serverKeyId) is { } tooMany)
        {
            return tooMany;
        }

        var now = timeProvider.GetUtcNow();
        if (host.IsOnion)
        {
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
        return (oneGoodPeerPerBucket ? AddressViolation(host, ip, bucket, now) : null) ?? NetworkViolation(host, ip, now);
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
                    return $"too many peers in bucket {bucket}";
                }
            }

            var literal = table.Find(PeerHost.FromAddress(ip));
            return literal is not null && literal.Peer.Host != host && literal.Status == PeerStatus.Good
                ? $"too many peers in bucket {bucket}"
                : null;
        }

        foreach (var other in table.GetRecords())
        {
            if (other.Host != host
                && !other.Host.IsOnion
                && other.GetStatus(now, table.StaleAfter) == PeerStatus.Good
                && PeerBuckets.GetInternalBucket(other.Host, other.IPAddress) == bucket)
            {
                return $"too many peers in bucket {bucket}";
            }
        }

        return null;
    }

    // A scan of the table, like the IPv6 bucket's: one check at a time per bucket, and checks are rare next to it.
    // Networks that are not public (a lab on loopback, a LAN) are the operator's own, so the cap leaves them alone.
    private string? NetworkViolation(PeerHost host, IPAddress ip, DateTimeOffset now)
    {
        if (maxGoodPerNetwork <= 0 || !PeerHost.IsPublicAddress(ip))
        {
            return null;
        }

        var network = PeerBuckets.GetExternalNetwork(ip);
        var good = 0;
        foreach (var other in table.GetRecords())
        {
            if (other.Host != host
                && !other.Host.IsOnion
                && (other.IPAddress ?? other.Host.Address) is { } otherAddress
                && other.GetStatus(now, table.StaleAfter) == PeerStatus.Good
                && PeerBuckets.GetExternalNetwork(otherAddress) == network
                && ++good >= maxGoodPerNetwork)
            {
                return $"too many good peers in network {network}";
            }
        }

        return null;
    }

    private string? OperatorViolation(PeerHost host, long serverKeyId)
    {
        if (maxGoodPerOperator <= 0 || serverKeyId == 0)
        {
            return null;
        }

        var now = timeProvider.GetUtcNow();
        var good = 0;
        foreach (var other in table.GetRecords())
        {
            if (other.ServerKeyId == serverKeyId
                && other.Host != host
                && other.GetStatus(now, table.StaleAfter) == PeerStatus.Good
                && ++good >= maxGoodPerOperator)
            {
                return "too many good peers of one operator (TLS key)";
            }
        }

        return null;
    }
}
