namespace PeerManagement.Sample.Node.Real;

/// <summary>Settings of one node joining a network (the sample's real use).</summary>
public sealed record RealNodeSettings
{
    /// <summary>Where to listen (TCP), e.g. <c>0.0.0.0:50001</c>; <see langword="null"/>: do not listen nor announce.</summary>
    public System.Net.IPEndPoint? Listen { get; init; }

    /// <summary>The name others reach us by, announced when public (default: the listen address).</summary>
    public string? PublicHost { get; init; }

    /// <summary>Whether <see cref="Listen"/> speaks TLS (<c>:s</c>) with a self-signed certificate.</summary>
    public bool ListenTls { get; init; }

    /// <summary>Seed real names, e.g. <c>"electrum.example.org v1.4 s t"</c>.</summary>
    public IReadOnlyList<string> Seeds { get; init; } = [];

    /// <summary><c>bitcoin</c>, <c>testnet</c> or <c>lab</c> (the sample's synthetic chain, on loopback).</summary>
    public string Network { get; init; } = "bitcoin";

    /// <summary>The SOCKS5 proxy, e.g. <c>127.0.0.1:9050</c>; <see langword="null"/>: detected.</summary>
    public (string Host, int Port)? Proxy { get; init; }

    /// <summary>Where <c>peers.json</c> is kept.</summary>
    public string DataDirectory { get; init; } = Path.Combine(Path.GetTempPath(), "peermanagement-sample", "node");

    /// <summary>The Electrum server whose chain we trust (bitcoin/testnet); default: the first seed.</summary>
    public string? ChainServer { get; init; }

    /// <summary>Where the admin HTTP endpoints listen (<c>--http</c>); none when <see langword="null"/>.</summary>
    public System.Net.IPEndPoint? Http { get; init; }

    /// <summary>The Redis of the fleet this node joins (<c>--redis</c>, HOST:PORT); <see langword="null"/>: alone.</summary>
    public string? Redis { get; init; }

    /// <summary>Whether private and loopback peers are accepted on bitcoin or testnet too (a private test network).</summary>
    public bool AllowPrivate { get; init; }
}
