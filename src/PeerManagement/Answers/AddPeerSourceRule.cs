using System.Net;

namespace PeerManagement;

/// <summary>
/// Refuses, before it costs any of <c>server.add_peer</c>'s budget, an announcement whose check the sybil rules
/// would refuse anyway: its caller's address (which a clearnet host must resolve to) already holds another good peer
/// (<see cref="PeerManagementOptions.OneGoodPeerPerAddress"/>), or holds another peer that one of the sybil rules
/// found bad within <see cref="PeerTable.StaleAfter"/> (by the verdicts <see cref="BucketRule"/> gives), while that rule is on. An attacker that announces from
/// addresses it already holds then spends nothing honest nodes need. Onion hosts arrive through the local Tor daemon,
/// whose address says nothing of them, so they are not concerned.
/// </summary>
internal static class AddPeerSourceRule
{
    /// <summary>Why the announcement of <paramref name="host"/> from <paramref name="source"/> cannot pass, or <see langword="null"/>.</summary>
    public static string? Refusal(PeerTable table, PeerManagementOptions options, IPAddress source, PeerHost host, DateTimeOffset now)
    {
        if (host.IsOnion)
        {
            return null;
        }

        foreach (var other in table.FindByAddress(source))
        {
            if (other.Host == host)
            {
                continue; // the same peer announced again: its ports may be news
            }

            var status = other.GetStatus(now, table.StaleAfter);
            if (status == PeerStatus.Good && options.OneGoodPeerPerAddress)
            {
                return $"its address already holds a good peer ({other.Host.Value}): one good peer per address";
            }

            if (status == PeerStatus.Bad
                && other.LastTry is { } lastTry
                && now - lastTry < table.StaleAfter
                && IsSybilVerdict(other.BadReason, options))
            {
                return $"its address holds {other.Host.Value}, found bad within the stale time: {other.BadReason}";
            }
        }

        return null;
    }

    private static bool IsSybilVerdict(string? reason, PeerManagementOptions options)
        => reason is not null
            && ((options.OneGoodPeerPerAddress && reason.StartsWith(BucketRule.BucketVerdict, StringComparison.Ordinal))
                || (options.MaxGoodPeersPerNetwork > 0 && reason.StartsWith(BucketRule.NetworkVerdict, StringComparison.Ordinal))
                || (options.MaxGoodPeersPerOperator > 0 && reason.StartsWith(BucketRule.OperatorVerdict, StringComparison.Ordinal)));
}
