namespace PeerManagement.AspNetCore;

/// <summary>Settings of the HTTP error envelope.</summary>
public sealed class PeerManagementHttpOptions
{
    /// <summary>
    /// Whether a 500 answer carries the type and message of any unhandled exception. Off by default: only the
    /// messages of the library's own exceptions (<see cref="PeerManagementException"/>) are shown, others get a
    /// generic text. The full exception is logged either way.
    /// </summary>
    public bool DetailedErrors { get; set; }
}
