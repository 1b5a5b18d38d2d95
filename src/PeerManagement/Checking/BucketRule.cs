using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

/// <summary>
/// The sybil rule of admission: another recent good peer in the same internal bucket (an IPv4 address, an IPv6
/// /64) makes a peer bad; onion peers are refused once they are over half of all recent good peers and that half
/// is at least 100. Checks of one bucket are serialised (<see cref="BucketLocks"/>) so that the rule has no race.
/// The per-bucket part is <see cref="PeerManagementOptions.OneGoodPeerPerAddress"/>.
/// </summary>
internal sealed class BucketRule(PeerTable table, TimeProvider timeProvider, bool oneGoodPeerPerBucket = true)
{
    /// <summary>Why <paramref name="host"/>, reached at <paramref name="address"/>, breaks the rule, or <see langword="null"/>.</summary>
    public string? Violation(PeerHost host, IPAddress? address, string bucket)
    {
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

        if (!oneGoodPeerPerBucket)
        {
            return null;
        }

        var ip = address ?? host.Address!;
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
}
