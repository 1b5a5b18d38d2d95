namespace PeerManagement.AspNetCore;

/// <summary>
/// Settings of the operator's console: the endpoints that change the peer table and the blacklist at run time
/// (<c>DELETE /peers/{host}</c>, <c>POST /peers/kick</c>, <c>POST</c> and <c>DELETE /peers/bans</c>) and the
/// buttons of the dashboard that call them.
/// </summary>
public sealed class PeerManagementConsoleOptions
{
    /// <summary>
    /// Whether the endpoints that kick and ban are mapped. Off by default: the console is then read-only. When on,
    /// <see cref="OperatorPolicy"/> must name an authorization policy of the host.
    /// </summary>
    public bool EnableOperatorActions { get; set; }

    /// <summary>
    /// The name of the host's authorization policy every kick and ban request must satisfy (e.g. an authenticated
    /// user with an operator role). Required when <see cref="EnableOperatorActions"/> is on.
    /// </summary>
    public string? OperatorPolicy { get; set; }

    /// <summary>The largest request body of the kick and ban endpoints, in bytes; a bigger one is answered 413. Default: 4 KiB.</summary>
    public int MaxRequestBodyBytes { get; set; } = 4 * 1024;

    /// <summary>How many recent status changes <c>GET /peers/events</c> keeps for pollers. Default: 256.</summary>
    public int RecentEventCount { get; set; } = 256;
}
