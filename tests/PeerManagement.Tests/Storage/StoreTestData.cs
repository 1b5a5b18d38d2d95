using System.Globalization;
using System.Net;

namespace PeerManagement.Tests.Storage;

/// <summary>Peer records for the store tests.</summary>
internal static class StoreTestData
{
    public static readonly DateTimeOffset Now = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    public static readonly TimeSpan StaleAfter = TimeSpan.FromHours(3);

    /// <summary>One record of each status and kind of host, with every field set somewhere.</summary>
    public static PeerRecord[] EveryKind() =>
    [
        // Good, every field set, features with several hosts, an offset that is not UTC and sub-second ticks.
        new PeerRecord
        {
            Host = PeerHost.Parse("electrum.example.org"),
            Ports = new PeerPorts(50001, 50002),
            Version = new ProtocolVersion(1, 4, 2),
            Pruning = 10_000,
            Features = new PeerFeatures
            {
                Hosts = new Dictionary<PeerHost, PeerPorts>
                {
                    [PeerHost.Parse("electrum.example.org")] = new PeerPorts(50001, 50002),
                    [PeerHost.Parse("abcdefghijklmnop.onion")] = new PeerPorts(50001, null),
                },
                GenesisHash = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
                HashFunction = "sha256",
                ServerVersion = "ElectrumX 1.16.0",
                ProtocolMin = new ProtocolVersion(1, 4),
                ProtocolMax = new ProtocolVersion(1, 4, 2),
                Pruning = 10_000,
            },
            Source = PeerSources.Peer,
            IPAddress = IPAddress.Parse("203.0.113.7"),
            LastGood = Now.AddMinutes(-10).AddTicks(1234567).ToOffset(TimeSpan.FromHours(2)),
            LastTry = Now.AddMinutes(-10),
            TryCount = 0,
        },

        // Stale: good once, long ago; failing since; IPv6 literal.
        new PeerRecord
        {
            Host = PeerHost.Parse("2001:db8::1"),
            Ports = new PeerPorts(null, 50002),
            Source = PeerSources.Admin,
            IPAddress = IPAddress.Parse("2001:db8::1"),
            LastGood = Now.AddDays(-2),
            LastTry = Now.AddMinutes(-1),
            TryCount = 4,
            Features = PeerFeatures.Empty,
        },

        // Never verified, heard of from another peer; onion; no IP.
        new PeerRecord
        {
            Host = PeerHost.Parse("abcdefghijklmnopqrstuvwxyz234567abcdefghijklmnopqrstuvwx.onion"),
            Ports = new PeerPorts(50001, null),
            Version = new ProtocolVersion(1, 4),
            Source = "electrum.example.org",
            LastTry = Now.AddSeconds(-30),
            TryCount = 1,
        },

        // Bad, with a reason; IPv4 literal; no ports at all.
        new PeerRecord
        {
            Host = PeerHost.Parse("198.51.100.20"),
            Source = PeerSources.AddPeer,
            IPAddress = IPAddress.Parse("198.51.100.20"),
            LastGood = Now.AddHours(-1),
            LastTry = Now.AddMinutes(-5),
            BadReason = "too many peers in bucket 198.51.100.20",
        },

        // A seed with nothing but its name.
        new PeerRecord { Host = PeerHost.Parse("seed.example.net"), Source = PeerSources.Seed },
    ];

    /// <summary><paramref name="count"/> peers with distinct hosts; <paramref name="tag"/> goes into their source.</summary>
    public static PeerRecord[] Many(int count, string tag = "seed") =>
        Enumerable.Range(0, count).Select(i => new PeerRecord
        {
            Host = PeerHost.Parse(string.Create(CultureInfo.InvariantCulture, $"peer-{i}.example.org")),
            Ports = new PeerPorts(50001, 50002),
            Source = tag,
            LastTry = Now,
        }).ToArray();

    /// <summary>A store file holding <paramref name="body"/> under a valid header: right length, right checksum.</summary>
    public static byte[] WithHeader(byte[] body)
    {
        var header = new byte[PeerStoreFormat.HeaderLength];
        PeerStoreFormat.WriteHeader(header, body.Length, System.Security.Cryptography.SHA256.HashData(body));
        return [.. header, .. body];
    }

    /// <summary>Compares records field by field (records compare their features' dictionaries by reference).</summary>
    public static void ShouldEqual(this IEnumerable<PeerRecord> actual, IEnumerable<PeerRecord> expected)
        => actual.Should().BeEquivalentTo(expected, o => o.ComparingByMembers<PeerRecord>().ComparingByMembers<PeerFeatures>().WithStrictOrdering());
}
