namespace PeerManagement.Sample.Node.Lab;

/// <summary>Settings of the local lab network (the sample's default run).</summary>
public sealed record LabSettings
{
    /// <summary>How many nodes (at least 4): all honest but the last two, one with a wrong genesis and one blacklisted.</summary>
    public int Nodes { get; init; } = 8;

    /// <summary>Where each node keeps its store: <c>&lt;DataDirectory&gt;/node-i/peers.json</c>.</summary>
    public string DataDirectory { get; init; } = DefaultDataDirectory;

    /// <summary>How long the network may take to converge before the run fails.</summary>
    public TimeSpan TimeLimit { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>The port every node listens on, each on its own address; 0 lets the system choose.</summary>
    public int Port { get; init; } = 50001;

    /// <summary>The base of the check schedule (short, for a lab).</summary>
    public TimeSpan Wakeup { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// When a good peer turns stale; good peers are re-checked <c>StaleAfter − 2 × Wakeup</c> later (8 s here), and
    /// each re-check brings the peer's current list, so what one node learns reaches the others in a few rounds.
    /// </summary>
    public TimeSpan StaleAfter { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The synthetic chain's tip height.</summary>
    public int ChainHeight { get; init; } = 1000;

    /// <summary>The shared chain's name.</summary>
    public string Network { get; init; } = "sample-lab";

    /// <summary>The Redis of the lab's fleet (<c>--redis</c>); <see langword="null"/>: no fleet.</summary>
    public string? Redis { get; init; }

    /// <summary>How many instances the fleet runs.</summary>
    public int FleetInstances { get; init; } = 3;

    /// <summary>How many rounds of checks the fleet makes before its counts are printed.</summary>
    public int FleetRounds { get; init; } = 2;

    /// <summary>How often the table is redrawn.</summary>
    public TimeSpan Refresh { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// When above 0: after converging, node-1 is asked <c>server.peers.subscribe</c> this many times a second for
    /// <see cref="AskDuration"/> while the nodes go on checking each other, and the answer cache's hit rate is printed.
    /// </summary>
    public int AskRate { get; init; }

    /// <summary>How long the asking of <see cref="AskRate"/> lasts (long enough for every peer to be re-checked).</summary>
    public TimeSpan AskDuration { get; init; } = TimeSpan.FromSeconds(20);

    /// <summary>The default data directory: <c>peermanagement-sample</c> under the system's temporary folder.</summary>
    public static string DefaultDataDirectory => Path.Combine(Path.GetTempPath(), "peermanagement-sample");

    /// <summary>The node addresses: node i (1-based) gets 127.(10+i).0.1, each in its own /16 so answers list them all.</summary>
    /// <param name="index">The 1-based index.</param>
    /// <returns>The address.</returns>
    public static string AddressOf(int index) => $"127.{10 + index}.0.1";
}
