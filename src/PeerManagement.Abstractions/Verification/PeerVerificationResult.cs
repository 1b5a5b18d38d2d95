namespace PeerManagement;

/// <summary>The verdict of a verifier.</summary>
public sealed record PeerVerificationResult
{
    private static readonly IReadOnlyList<PeerRealName> NoPeers = [];

    private PeerVerificationResult(PeerCheckOutcome outcome, string? reason, PeerFeatures? features, IReadOnlyList<PeerRealName> reportedPeers)
    {
        Outcome = outcome;
        Reason = reason;
        Features = features;
        ReportedPeers = reportedPeers;
    }

    /// <summary>How the check ended.</summary>
    public PeerCheckOutcome Outcome { get; }

    /// <summary>Why the peer is bad or the try failed; <see langword="null"/> when good.</summary>
    public string? Reason { get; }

    /// <summary>The features the peer reported, when good.</summary>
    public PeerFeatures? Features { get; }

    /// <summary>The peers the peer reported, when good.</summary>
    public IReadOnlyList<PeerRealName> ReportedPeers { get; }

    /// <summary>The peer is good.</summary>
    /// <param name="features">The features it reported.</param>
    /// <param name="reportedPeers">The peers it reported.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public static PeerVerificationResult Good(PeerFeatures features, IReadOnlyList<PeerRealName> reportedPeers)
    {
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(reportedPeers);
        return new(PeerCheckOutcome.Good, null, features, reportedPeers);
    }

    /// <summary>The peer broke a rule and is marked bad.</summary>
    /// <param name="reason">Which rule.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null or empty.</exception>
    public static PeerVerificationResult Bad(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(PeerCheckOutcome.Bad, reason, null, NoPeers);
    }

    /// <summary>The try failed and will be retried.</summary>
    /// <param name="reason">Why.</param>
    /// <returns>The result.</returns>
    /// <exception cref="ArgumentException"><paramref name="reason"/> is null or empty.</exception>
    public static PeerVerificationResult Failed(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return new(PeerCheckOutcome.Failed, reason, null, NoPeers);
    }
}
