using PeerManagement.Redis;
using RedisRateLimiting;
using StackExchange.Redis;

namespace PeerManagement.Benchmarks.Redis;

/// <summary>
/// Redis memory per rate-limit key (ours and RedisRateLimiting's) and per peer of the shared table, from
/// <c>MEMORY USAGE</c> and <c>INFO memory</c> on a local redis-server.
/// </summary>
internal static class RedisMemory
{
    private const int Keys = 10_000;

    public static void Run()
    {
        using var redis = LocalRedisServer.Start();
        using var connection = redis.Connect();
        var database = connection.GetDatabase();
        var server = connection.GetServers()[0];

        server.Execute("CONFIG", "RESETSTAT");
        var limits = new RateLimitingOptions { MaxTokens = 10_000, Window = TimeSpan.FromSeconds(3) };
        using (var fleet = new RedisPartitionedRateLimiter<string>(connection, limits, new PeerManagementRedisOptions { KeyPrefix = "ours" }))
        {
            var before = UsedMemory(server);
            for (var i = 0; i < Keys; i++)
            {
                fleet.AttemptAcquire($"203.0.{i / 256}.{i % 256}/32").Dispose();
            }

            Console.WriteLine("  server time: " + ScriptTime(server));
            Console.WriteLine($"fleet limiter: MEMORY USAGE of one key {database.Execute("MEMORY", "USAGE", "ours:rl:203.0.0.0/32")} B; {(UsedMemory(server) - before) / Keys} B per key over {Keys} keys (used_memory)");
        }

        server.Execute("CONFIG", "RESETSTAT");
        var baselineBefore = UsedMemory(server);
        for (var i = 0; i < Keys; i++)
        {
            using var limiter = new RedisTokenBucketRateLimiter<string>($"203.0.{i / 256}.{i % 256}/32", new RedisTokenBucketRateLimiterOptions
            {
                ConnectionMultiplexerFactory = () => connection,
                TokenLimit = 10_000,
                TokensPerPeriod = 10_000,
                ReplenishmentPeriod = TimeSpan.FromSeconds(3),
            });
            limiter.AcquireAsync(1).AsTask().GetAwaiter().GetResult().Dispose();
        }

        Console.WriteLine("  server time: " + ScriptTime(server));
        var baselineKeys = server.Keys(pattern: "*").Where(k => !((string)k!).StartsWith("ours:", StringComparison.Ordinal)).Take(1).ToList();
        Console.WriteLine($"RedisRateLimiting token bucket: {(UsedMemory(server) - baselineBefore) / Keys} B per key over {Keys} keys (used_memory); sample key {string.Join(", ", baselineKeys)}: MEMORY USAGE {(baselineKeys.Count == 0 ? "-" : database.Execute("MEMORY", "USAGE", baselineKeys[0]).ToString())} B");

        var exchange = new RedisRecordExchange(new RedisFleetConnection(connection, ownsMultiplexer: false, new PeerManagementRedisOptions { KeyPrefix = "table" }, null, null));
        using var stop = new CancellationTokenSource();
        var run = exchange.RunAsync(new NullSink(), stop.Token);
        var tableBefore = UsedMemory(server);
        var features = PeerFeatures.FromJson(System.Text.Json.JsonDocument.Parse("""{"hosts":{"peer.example.org":{"tcp_port":50001,"ssl_port":50002}},"genesis_hash":"000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f","hash_function":"sha256","server_version":"ElectrumX 1.16.0","protocol_min":"1.4","protocol_max":"1.4.2","pruning":null}""").RootElement);
        var at = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        for (var i = 0; i < Keys; i++)
        {
            var record = PeerRecord.FromRealName(PeerRealName.Parse($"peer{i}.example.org s t", DefaultPorts.BitcoinMainnet), PeerSources.Seed)
                with { Features = features, LastGood = at, LastTry = at, IPAddress = System.Net.IPAddress.Parse($"44.0.{i / 256}.{i % 256}") };
            exchange.Publish(new PeerRecordUpdate(record.Host, record, at.UtcTicks));
        }

        var deadline = Environment.TickCount64 + 60_000;
        while (database.HashLength("table:peers") < Keys && Environment.TickCount64 < deadline)
        {
            Thread.Sleep(50);
        }

        Console.WriteLine($"shared table: {(UsedMemory(server) - tableBefore) / Keys} B per peer over {Keys} peers with features (used_memory)");
        stop.Cancel();
        run.Wait(TimeSpan.FromSeconds(10));
    }

    /// <summary>The scripts' time on the server since the last reset (INFO commandstats).</summary>
    private static string ScriptTime(IServer server)
        => string.Join(" ", server.Info("commandstats").SelectMany(g => g).Where(p => p.Key.StartsWith("cmdstat_eval", StringComparison.Ordinal)).Select(p => $"{p.Key[8..]}: {p.Value}"));

    private static long UsedMemory(IServer server)
        => long.Parse(server.Info("memory").SelectMany(g => g).First(p => p.Key == "used_memory").Value, System.Globalization.CultureInfo.InvariantCulture);

    private sealed class NullSink : IPeerRecordSink
    {
        public bool Apply(PeerRecordUpdate update) => false;

        public IReadOnlyList<PeerRecordUpdate> Snapshot() => [];
    }
}
