using System.Net;
using System.Text.Json;

namespace PeerManagement.Benchmarks.Peers;

/// <summary>Realistic peer entries for the table benchmarks.</summary>
internal static class PeerData
{
    public static readonly TimeProvider Clock = new FixedClock(new DateTimeOffset(2026, 11, 25, 12, 0, 0, TimeSpan.Zero));

    private static readonly TimeSpan StaleAfter = TimeSpan.FromHours(3);

    /// <summary>
    /// <paramref name="count"/> records: a quarter never checked, a quarter good, a quarter stale, a quarter bad;
    /// each with its own address and, when asked, the features a real server reports.
    /// </summary>
    public static PeerRecord[] Records(int count, bool withFeatures)
    {
        var now = Clock.GetUtcNow();
        var records = new PeerRecord[count];
        for (var i = 0; i < count; i++)
        {
            var host = $"electrum{i}.example.org";
            var record = PeerRecord.FromRealName(PeerRealName.Parse($"{host} v1.4.2 s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer) with
            {
                IPAddress = new IPAddress((uint)(0x0A000000 + i)),
                Features = withFeatures ? Features(host) : null,
            };
            records[i] = (i % 4) switch
            {
                0 => record,
                1 => record with { LastGood = now - TimeSpan.FromMinutes(i % 170), LastTry = now },
                2 => record with { LastGood = now - StaleAfter - TimeSpan.FromMinutes(i % 600), LastTry = now, TryCount = 2 },
                _ => record with { LastTry = now, BadReason = "wrong genesis hash" },
            };
        }

        return records;
    }

    public static PeerTable Table(IEnumerable<PeerRecord> records)
    {
        var table = new PeerTable(Clock, StaleAfter);
        foreach (var record in records)
        {
            table.TryAdd(record);
        }

        return table;
    }

    private static PeerFeatures Features(string host)
    {
        using var document = JsonDocument.Parse($$$"""
            {
              "hosts": {"{{{host}}}": {"tcp_port": 50001, "ssl_port": 50002}},
              "genesis_hash": "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
              "hash_function": "sha256",
              "server_version": "ElectrumX 1.16.0",
              "protocol_min": "1.4",
              "protocol_max": "1.4.2",
              "pruning": null
            }
            """);
        return PeerFeatures.FromJson(document.RootElement);
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
