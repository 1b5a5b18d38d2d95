namespace PeerManagement.Sample.Node.Lab;

/// <summary>How a lab run ended.</summary>
/// <param name="Converged">Whether every honest node listed every other honest node as good and the bad ones as bad.</param>
/// <param name="Elapsed">Time from start to convergence (or to giving up).</param>
/// <param name="Reason">Why it failed, or <see langword="null"/>.</param>
/// <param name="Answers">Each honest node's <c>server.peers.subscribe</c> hosts, asked over a real session at the end.</param>
/// <param name="BadVerdicts">For each misbehaving node: which nodes hold it as bad, and why.</param>
/// <param name="PeersKnownAtStart">How many peers the nodes held right after start (seeds plus what their stores loaded), in total.</param>
public sealed record LabResult(
    bool Converged,
    TimeSpan Elapsed,
    string? Reason,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Answers,
    IReadOnlyDictionary<string, IReadOnlyList<string>> BadVerdicts,
    int PeersKnownAtStart)
{
    /// <summary>The process exit code: 0 when converged, 1 otherwise.</summary>
    public int ExitCode => Converged ? 0 : 1;
}
