namespace PeerManagement;

/// <summary>Which address families this machine can reach public addresses over.</summary>
/// <param name="IPv4">Whether public IPv4 addresses can be reached.</param>
/// <param name="IPv6">Whether public IPv6 addresses can be reached.</param>
public sealed record AddressFamilyReachability(bool IPv4, bool IPv6)
{
    /// <summary>Both families reachable (what is assumed until a probe says otherwise).</summary>
    public static AddressFamilyReachability Both { get; } = new(true, true);

    /// <summary>Describes the result for logs, e.g. <c>IPv4 yes, IPv6 no</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => $"IPv4 {(IPv4 ? "yes" : "no")}, IPv6 {(IPv6 ? "yes" : "no")}";
}
