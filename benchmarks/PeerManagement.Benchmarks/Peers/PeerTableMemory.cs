namespace PeerManagement.Benchmarks.Peers;

/// <summary>
/// Retained heap per table entry (record, features, host string, index slots), measured directly because
/// BenchmarkDotNet reports allocated, not retained, bytes. Run with the argument <c>memory</c>.
/// </summary>
internal static class PeerTableMemory
{
    public static void Run(int count = 100_000)
    {
        // The records themselves are created before the first measurement only to exclude the set-up's garbage;
        // they are what the table keeps, so they are counted.
        var before = GC.GetTotalMemory(forceFullCollection: true);
        var table = PeerData.Table(PeerData.Records(count, withFeatures: true));
        var after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(table);

        Console.WriteLine($"{count:N0} entries with features: {(after - before) / (double)count:F0} bytes retained per entry");

        before = GC.GetTotalMemory(forceFullCollection: true);
        table = PeerData.Table(PeerData.Records(count, withFeatures: false));
        after = GC.GetTotalMemory(forceFullCollection: true);
        GC.KeepAlive(table);
        Console.WriteLine($"{count:N0} entries without features: {(after - before) / (double)count:F0} bytes retained per entry");
    }
}
