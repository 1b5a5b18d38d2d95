namespace PeerManagement;

/// <summary>How one check of a peer ended.</summary>
public enum PeerCheckOutcome
{
    /// <summary>The peer serves our network and answered correctly.</summary>
    Good = 0,

    /// <summary>The peer broke a rule (wrong network, wrong types, blacklisted, ...): it is marked bad.</summary>
    Bad = 1,

    /// <summary>The peer could not be reached, timed out or answered with an error: retried with backoff.</summary>
    Failed = 2,
}
