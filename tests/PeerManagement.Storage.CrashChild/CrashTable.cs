using System.Globalization;
using System.Net;
using PeerManagement;

/// <summary>The table saved as generation N: its size varies with N, so a partial table is easy to spot.</summary>
internal static class CrashTable
{
    private static readonly DateTimeOffset Epoch = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static int CountOf(long generation) => 400 + (int)(generation % 7 * 150);

    public static PeerRecord[] Build(long generation)
    {
        var source = string.Create(CultureInfo.InvariantCulture, $"g{generation}");
        var peers = new PeerRecord[CountOf(generation)];
        for (var i = 0; i < peers.Length; i++)
        {
            peers[i] = new PeerRecord
            {
                Host = PeerHost.Parse(string.Create(CultureInfo.InvariantCulture, $"peer-{i}.example.org")),
                Ports = new PeerPorts(50001, 50002),
                Source = source,
                IPAddress = new IPAddress([203, 0, (byte)(i >> 8), (byte)i]),
                LastGood = Epoch.AddSeconds(generation),
                LastTry = Epoch.AddSeconds(generation + 1),
                TryCount = i % 5,
            };
        }

        return peers;
    }
}
