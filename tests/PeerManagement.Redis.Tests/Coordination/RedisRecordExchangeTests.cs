using PeerManagement.Redis.Tests.Fleet;

namespace PeerManagement.Redis.Tests.Coordination;

public sealed class RedisRecordExchangeTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 25, 12, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task An_older_record_never_overwrites_a_newer_one_whichever_instance_sends_it()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await Connect(redis);
        await using var b = await Connect(redis);
        var sinkA = new RecordingSink();
        var sinkB = new RecordingSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var exchangeA = new RedisRecordExchange(a);
        var exchangeB = new RedisRecordExchange(b);
        var runA = exchangeA.RunAsync(sinkA, stop.Token);
        var runB = exchangeB.RunAsync(sinkB, stop.Token);

        var newer = Good("a.example.org", T0 + TimeSpan.FromMinutes(5));
        var older = Good("a.example.org", T0);
        exchangeA.Publish(Update(newer));
        await WaitUntilAsync(() => sinkB.Table.TryGetValue("a.example.org", out var u) && u.Record == newer);
        exchangeB.Publish(Update(older));
        exchangeB.Publish(Update(Good("b.example.org", T0)));
        await WaitUntilAsync(() => sinkA.Table.ContainsKey("b.example.org"));

        sinkA.Table.Should().NotContainKey("a.example.org", "A's own record is already in A's table");
        sinkA.Applied.Should().NotContain(u => u.Host.Value == "a.example.org", "the older record was refused by Redis and never sent");
        var stored = (string?)await a.Database.HashGetAsync(a.Key("peers"), "a.example.org");
        PeerRecordCodec.Decode(stored![20..], out _).Should().Be(newer);

        await stop.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    [Fact]
    public async Task A_forgotten_peer_reaches_the_other_instances_and_a_record_round_trips_whole()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var a = await Connect(redis);
        await using var b = await Connect(redis);
        var sinkB = new RecordingSink();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var exchangeA = new RedisRecordExchange(a);
        var runA = exchangeA.RunAsync(new RecordingSink(), stop.Token);
        var runB = new RedisRecordExchange(b).RunAsync(sinkB, stop.Token);

        var record = Good("c.example.org", T0) with
        {
            IPAddress = System.Net.IPAddress.Parse("44.1.2.3"),
            Version = ProtocolVersion.Parse("1.4"),
            Pruning = 1000,
            TryCount = 2,
            BadReason = "wrong genesis",
            LastTry = T0 + TimeSpan.FromSeconds(1),
            Source = "seed",
        };
        exchangeA.Publish(Update(record));
        await WaitUntilAsync(() => sinkB.Table.TryGetValue("c.example.org", out var u) && u.Record == record);
        exchangeA.Publish(new PeerRecordUpdate(record.Host, null, (T0 + TimeSpan.FromMinutes(1)).UtcTicks));
        await WaitUntilAsync(() => sinkB.Table.TryGetValue("c.example.org", out var u) && u.Record is null);

        await stop.CancelAsync();
        await Task.WhenAll(runA, runB).WaitAsync(TimeSpan.FromSeconds(10), Ct);
    }

    private static PeerRecord Good(string host, DateTimeOffset at) => PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Seed) with { LastGood = at, LastTry = at };

    private static PeerRecordUpdate Update(PeerRecord record) => new(record.Host, record, PeerRecordUpdate.VersionOf(record));

    private static async Task<RedisFleetConnection> Connect(RedisServer redis)
        => new(await redis.ConnectAsync(), ownsMultiplexer: true, new PeerManagementRedisOptions { KeyPrefix = "records" }, null, null);

    // Redis and pub/sub run on real time: a poll with a deadline, shared with the fleet tests.
    private static Task WaitUntilAsync(Func<bool> condition)
        => FleetHarness.WaitUntilAsync(condition, "the fleet should hear of the change in time");
}
