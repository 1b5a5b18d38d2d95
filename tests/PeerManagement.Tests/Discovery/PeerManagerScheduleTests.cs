using PeerManagement.TestUtilities.Electrum;
using PeerManagement.TestUtilities.Threading;

namespace PeerManagement.Tests.Discovery;

public class PeerManagerScheduleTests
{
    private const string PeerA = "a.example.org";

    [Fact]
    public async Task Backoff_after_the_nth_failure_is_exactly_wakeup_times_two_to_the_n()
    {
        await using var h = new DiscoveryHarness(o => o.ForgetAfterTries = 6);
        h.AddKnownPeer(PeerA, p => p.Failing("server.version"));

        for (var n = 1; n <= 5; n++)
        {
            var (_, next) = await h.CheckAsync(PeerA);

            next.Should().Be(h.Now + (h.Options.Wakeup * Math.Pow(2, n)));
            h.Record(PeerA)!.TryCount.Should().Be(n);
            h.Time.Advance(h.Options.Wakeup * Math.Pow(2, n));
        }
    }

    [Fact]
    public async Task A_peer_never_good_is_forgotten_after_three_failures()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Unreachable());

        (await h.CheckAsync(PeerA)).Next.Should().NotBeNull();
        (await h.CheckAsync(PeerA)).Next.Should().NotBeNull();
        (await h.CheckAsync(PeerA)).Next.Should().BeNull();

        h.Record(PeerA).Should().BeNull();
        h.LogsWithId(102).Should().ContainSingle();
    }

    [Fact]
    public async Task A_peer_once_good_is_forgotten_after_ten_failures()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.Unreachable(), r => r with { LastGood = h.Now - TimeSpan.FromDays(1) });

        for (var i = 1; i < 10; i++)
        {
            (await h.CheckAsync(PeerA)).Next.Should().NotBeNull($"try {i} is below the limit");
        }

        (await h.CheckAsync(PeerA)).Next.Should().BeNull();
        h.Record(PeerA).Should().BeNull();
    }

    [Fact]
    public async Task A_bad_peer_is_forgotten_after_three_tries_even_if_once_good()
    {
        await using var h = new DiscoveryHarness();
        h.AddKnownPeer(PeerA, p => p.WithGenesis("00"), r => r with { LastGood = h.Now - TimeSpan.FromHours(1) });

        await h.CheckAsync(PeerA);
        await h.CheckAsync(PeerA);
        (await h.CheckAsync(PeerA)).Next.Should().BeNull();

        h.Record(PeerA).Should().BeNull();
    }

    [Fact]
    public async Task A_good_peer_is_checked_again_at_stale_after_minus_two_wakeups_by_the_scheduler()
    {
        // Pull discovery off: this is the ordinary re-check alone.
        await using var h = new DiscoveryHarness(o =>
        {
            o.SeedPeers.Add(PeerA + " s t");
            o.PeerListRefreshInterval = TimeSpan.Zero;
        });
        var peer = h.AddPeer(PeerA);
        await h.Manager.StartAsync(DiscoveryHarness.Token);

        await DiscoveryHarness.WaitUntilAsync(() => h.Status(PeerA) == PeerStatus.Good && h.Due(PeerA) is not null);

        h.Due(PeerA).Should().Be(DiscoveryHarness.Start + TimeSpan.FromHours(3) - TimeSpan.FromMinutes(10));
        peer.CallCount("server.version").Should().Be(1);

        h.Time.Advance(TimeSpan.FromHours(3) - TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        await ThreadPoolQuiescence.SettleAsync(); // whatever the advance set going has run
        peer.CallCount("server.version").Should().Be(1, "it is not due yet");

        h.Time.Advance(TimeSpan.FromSeconds(1));
        await DiscoveryHarness.WaitUntilAsync(() => peer.CallCount("server.version") == 2 && h.Due(PeerA) is not null);
        h.Due(PeerA).Should().Be(h.Now + TimeSpan.FromHours(3) - TimeSpan.FromMinutes(10));
    }

    [Fact]
    public async Task A_good_peer_is_asked_for_its_list_again_each_peer_list_refresh_interval_long_before_its_re_check()
    {
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add(PeerA + " s t"));
        var peer = h.AddPeer(PeerA);
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Status(PeerA) == PeerStatus.Good && h.Due(PeerA) is not null);
        peer.CallCount("server.peers.subscribe").Should().Be(1);

        h.Time.Advance(h.Options.PeerListRefreshInterval);

        await DiscoveryHarness.WaitUntilAsync(() => peer.CallCount("server.peers.subscribe") == 2 && h.Due(PeerA) is not null);
        h.LogsWithId(133).Should().ContainSingle().Which.Message.Should().Contain(PeerA);
        h.Due(PeerA).Should().Be(h.Now + TimeSpan.FromHours(3) - TimeSpan.FromMinutes(10), "a pull is an ordinary check");
    }

    [Fact]
    public async Task Pull_discovery_is_off_with_a_zero_interval()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.SeedPeers.Add(PeerA + " s t");
            o.PeerListRefreshInterval = TimeSpan.Zero;
        });
        h.AddPeer(PeerA);
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Status(PeerA) == PeerStatus.Good && h.Due(PeerA) is not null);
        var due = h.Due(PeerA);

        h.Time.Advance(TimeSpan.FromHours(1));

        h.LogsWithId(133).Should().BeEmpty();
        h.Due(PeerA).Should().Be(due, "only its ordinary re-check is due");
    }

    [Fact]
    public async Task Pull_discovery_stops_with_the_manager()
    {
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add(PeerA + " s t"));
        h.AddPeer(PeerA);
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Status(PeerA) == PeerStatus.Good && h.Due(PeerA) is not null);

        await h.Manager.StopAsync(DiscoveryHarness.Token);
        h.Time.Advance(h.Options.PeerListRefreshInterval * 3);

        h.LogsWithId(133).Should().BeEmpty("its timer went with the manager");
    }

    [Fact]
    public async Task The_scheduler_retries_failures_on_the_backoff_and_then_forgets()
    {
        // A peer heard of from another node: seeds are never forgotten (see the seed test below).
        await using var h = new DiscoveryHarness();
        h.AddPeer(PeerA, p => p.Failing("server.version"));
        var forgotten = new TaskCompletionSource();
        h.Manager.StatusChanged += (_, change) =>
        {
            if (change.NewStatus is null && change.Host == PeerHost.Parse(PeerA))
            {
                forgotten.TrySetResult();
            }
        };
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Manager.NotePeers([PeerRealName.Parse(PeerA + " s t", DefaultPorts.BitcoinMainnet)], "lister.example.org", checkPorts: false, capped: false);

        await DiscoveryHarness.WaitUntilAsync(() => h.Record(PeerA)?.TryCount == 1 && h.Due(PeerA) is not null);
        h.Due(PeerA).Should().Be(DiscoveryHarness.Start + TimeSpan.FromMinutes(10));
        h.Time.Advance(TimeSpan.FromMinutes(10));
        await DiscoveryHarness.WaitUntilAsync(() => h.Record(PeerA)?.TryCount == 2 && h.Due(PeerA) is not null);
        h.Due(PeerA).Should().Be(DiscoveryHarness.Start + TimeSpan.FromMinutes(30));
        h.Time.Advance(TimeSpan.FromMinutes(20));

        await forgotten.Task.WaitAsync(TimeSpan.FromSeconds(10), DiscoveryHarness.Token);
        h.Record(PeerA).Should().BeNull();
        h.Due(PeerA).Should().BeNull();
    }

    [Fact]
    public async Task Loaded_peers_are_first_checked_according_to_their_history()
    {
        var now = DiscoveryHarness.Start;
        var store = new InMemoryPeerStore();
        PeerRecord Loaded(string host) => PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer);
        await store.SaveAsync(
            [
                Loaded("good.example.org") with { LastGood = now - TimeSpan.FromMinutes(10), LastTry = now - TimeSpan.FromMinutes(10) },
                Loaded("failed.example.org") with { TryCount = 2, LastTry = now - TimeSpan.FromMinutes(1), LastGood = now - TimeSpan.FromDays(1) },
                Loaded("bad.example.org") with { TryCount = 1, LastTry = now - TimeSpan.FromMinutes(1), BadReason = "incorrect genesis hash" },
                Loaded("new.example.org"),
                Loaded("old.example.org") with { LastGood = now - TimeSpan.FromDays(2), LastTry = now - TimeSpan.FromDays(2) },
            ],
            DiscoveryHarness.Token);
        await using var h = new DiscoveryHarness(o => o.Identities.Clear()) { Store = store };
        foreach (var host in new[] { "good.example.org", "failed.example.org", "bad.example.org", "new.example.org", "old.example.org" })
        {
            h.AddPeer(host, p => p.Unreachable());
        }

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Network.AttemptsTo("new.example.org").Count == 2 && h.Network.AttemptsTo("old.example.org").Count == 2 && h.Due("old.example.org") is not null);

        h.Due("good.example.org").Should().Be(now - TimeSpan.FromMinutes(10) + TimeSpan.FromMinutes(170), "a peer good 10 minutes ago is not re-checked at once");
        h.Due("failed.example.org").Should().Be(now - TimeSpan.FromMinutes(1) + TimeSpan.FromMinutes(20), "two failures wait Wakeup × 4 from the last try");
        h.Due("bad.example.org").Should().Be(now - TimeSpan.FromMinutes(1) + TimeSpan.FromMinutes(10));
        h.Network.AttemptsTo("good.example.org").Should().BeEmpty();
        h.Network.AttemptsTo("failed.example.org").Should().BeEmpty();
    }

    [Fact]
    public async Task Stored_times_at_the_end_of_the_calendar_neither_crash_start_nor_are_trusted()
    {
        var now = DiscoveryHarness.Start;
        var store = new InMemoryPeerStore();
        PeerRecord Loaded(string host) => PeerRecord.FromRealName(PeerRealName.Parse(host + " s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer);
        var endOfTime = new DateTimeOffset(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);
        await store.SaveAsync(
            [
                Loaded("doomsday.example.org") with { LastGood = endOfTime, LastTry = endOfTime, TryCount = 2 },
                Loaded("ahead.example.org") with { LastGood = now + TimeSpan.FromDays(365) },
                Loaded("negative.example.org") with { TryCount = -5, LastGood = now - TimeSpan.FromMinutes(10), LastTry = now - TimeSpan.FromMinutes(10) },
                Loaded("skewed.example.org") with { LastGood = now + TimeSpan.FromMinutes(2) },
            ],
            DiscoveryHarness.Token);
        await using var h = new DiscoveryHarness(o => o.Identities.Clear()) { Store = store };
        foreach (var host in new[] { "doomsday.example.org", "ahead.example.org", "negative.example.org", "skewed.example.org" })
        {
            h.AddPeer(host, p => p.Unreachable());
        }

        await h.Manager.StartAsync(DiscoveryHarness.Token);

        h.Record("doomsday.example.org")!.LastGood.Should().BeNull();
        h.Record("doomsday.example.org")!.LastTry.Should().BeNull();
        h.Record("ahead.example.org")!.LastGood.Should().BeNull("a last-good time a year ahead would keep the peer good and unchecked forever");
        h.Status("ahead.example.org").Should().Be(PeerStatus.Never);
        h.Record("negative.example.org")!.TryCount.Should().Be(0);
        h.Due("negative.example.org").Should().Be(now + TimeSpan.FromMinutes(160), "no failed try: checked when it is about to go stale");
        h.Record("skewed.example.org")!.LastGood.Should().Be(now + TimeSpan.FromMinutes(2), "a small clock skew is believed");
        h.LogsWithId(140).Should().HaveCount(3);
        h.Due("doomsday.example.org").Should().Be(now + TimeSpan.FromMinutes(20), "two failed tries wait Wakeup × 4, from now as the last try is unknown");
        await DiscoveryHarness.WaitUntilAsync(() => h.Network.AttemptsTo("ahead.example.org").Count > 0);
    }

    [Fact]
    public async Task Loading_stops_at_the_table_bound()
    {
        var store = new InMemoryPeerStore();
        await store.SaveAsync(
            [.. Enumerable.Range(0, 10).Select(i => PeerRecord.FromRealName(PeerRealName.Parse($"p{i}.example.org s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer))],
            DiscoveryHarness.Token);
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.MaxPeers = 4;
        }) { Store = store };

        await h.Manager.StartAsync(DiscoveryHarness.Token);

        h.Table.Count.Should().Be(4);
        h.LogsWithId(141).Should().ContainSingle().Which.Message.Should().Contain("6");
    }

    [Fact]
    public async Task A_seed_that_is_not_up_yet_is_never_forgotten_and_is_tried_at_least_hourly()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.SeedPeers.Add("seed.example.org s t");
        });
        h.AddPeer("seed.example.org", p => p.Unreachable());
        h.AddPeer("stranger.example.org", p => p.Unreachable());
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Manager.NotePeers([PeerRealName.Parse("stranger.example.org s t", DefaultPorts.BitcoinMainnet)], "lister.example.org", checkPorts: false, capped: false);

        await h.RunClockUntilAsync(() => h.Record("seed.example.org")?.TryCount >= 8 && h.Manager.Scheduler.RunningCount == 0, TimeSpan.FromMinutes(1));

        h.Record("seed.example.org").Should().NotBeNull("a node whose only seed is down must keep trying it");
        h.Due("seed.example.org").Should().BeOnOrBefore(h.Now + TimeSpan.FromHours(1));
        h.Record("stranger.example.org").Should().BeNull("a peer heard of from another node is forgotten after three failures");
        h.LogsWithId(144).Should().NotBeEmpty("a node with no good peer says it is waiting for its seeds");
    }

    [Fact]
    public async Task A_stored_entry_of_our_own_host_takes_the_ports_we_announce_now()
    {
        var store = new InMemoryPeerStore();
        var stale = PeerRecord.FromRealName(PeerRealName.Parse("node.example.net t50001", DefaultPorts.BitcoinMainnet), PeerSources.Peer)
            with { LastGood = DiscoveryHarness.Start - TimeSpan.FromMinutes(10) };
        await store.SaveAsync([stale], DiscoveryHarness.Token);
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.Identities.Add("node.example.net t50002");
        }) { Store = store };

        await h.Manager.StartAsync(DiscoveryHarness.Token);

        h.Record("node.example.net")!.Ports.Should().Be(new PeerPorts(50002, null), "our identity wins over what an earlier run stored");
        h.Record("node.example.net")!.LastGood.Should().Be(stale.LastGood, "its history is kept");
        h.LogsWithId(145).Should().ContainSingle();
    }

    [Fact]
    public async Task Loaded_records_are_added_before_the_seeds_so_their_history_wins()
    {
        var store = new InMemoryPeerStore();
        var history = PeerRecord.FromRealName(PeerRealName.Parse("a.example.org s50012 t", DefaultPorts.BitcoinMainnet), PeerSources.Peer)
            with { LastGood = DiscoveryHarness.Start - TimeSpan.FromMinutes(10) };
        await store.SaveAsync([history], DiscoveryHarness.Token);
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add("a.example.org s t")) { Store = store };
        h.AddPeer(PeerA);

        await h.Manager.StartAsync(DiscoveryHarness.Token);

        h.Record(PeerA).Should().Be(history);
        h.Due(PeerA).Should().Be(DiscoveryHarness.Start + TimeSpan.FromMinutes(160));
    }

    [Fact]
    public async Task A_store_that_throws_does_not_fail_start_up()
    {
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add("a.example.org s t")) { Store = new ThrowingStore() };
        h.AddPeer(PeerA);

        await h.Manager.StartAsync(DiscoveryHarness.Token);

        h.Record(PeerA).Should().NotBeNull();
        h.LogsWithId(112).Should().ContainSingle();
    }

    [Fact]
    public async Task At_most_max_concurrent_checks_run_at_once()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.MaxConcurrentChecks = 4;
            o.Identities.Clear();
        });
        for (var i = 0; i < 20; i++)
        {
            var host = $"p{i}.example.org";
            h.AddPeer(host, p => p.At($"44.20.0.{i + 1}").Silent("server.version"));
            h.Options.SeedPeers.Add(host + " s");
        }

        var maxRunning = 0;
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await h.RunClockUntilAsync(
            () =>
            {
                maxRunning = Math.Max(maxRunning, h.Manager.Scheduler.RunningCount);
                return h.Table.GetRecords().All(r => r.TryCount == 1) && h.Manager.Scheduler.RunningCount == 0;
            },
            TimeSpan.FromSeconds(5));

        maxRunning.Should().BeLessThanOrEqualTo(4).And.BeGreaterThan(1);
    }

    [Fact]
    public async Task Checks_that_never_end_are_cut_at_the_check_deadline_so_an_honest_peer_is_still_checked()
    {
        await using var h = new DiscoveryHarness(o =>
        {
            o.MaxConcurrentChecks = 2;
            o.Identities.Clear();
            o.PeerListRefreshInterval = TimeSpan.Zero; // the deadline alone frees the workers
            o.SeedPeers.Add("stuck1.example.org s");
            o.SeedPeers.Add("stuck2.example.org s");
        });
        h.Verifier = new NeverEndingVerifier(h.Chain, h.Options);
        h.AddPeer("stuck1.example.org");
        h.AddPeer("stuck2.example.org");
        h.AddPeer("honest.example.org");

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Manager.Scheduler.RunningCount == 2);
        await h.Manager.AddPeerAsync("honest.example.org s", DiscoveryHarness.Token);
        h.Time.Advance(h.Options.CheckTimeout - TimeSpan.FromSeconds(1));
        h.Status("honest.example.org").Should().Be(PeerStatus.Never, "both workers are still held");

        await h.RunClockUntilAsync(() => h.Status("honest.example.org") == PeerStatus.Good, TimeSpan.FromSeconds(1));

        h.Record("stuck1.example.org")!.TryCount.Should().Be(1);
        h.Record("stuck1.example.org")!.IsBad.Should().BeFalse("running out of time is a failed try, not a verdict");
        h.LogsWithId(120).Should().Contain(r => r.Message.Contains("did not finish within 120 s", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Idle_entries_cost_no_timers_or_tasks_of_their_own()
    {
        // Pull discovery off: it checks one good peer per interval on purpose.
        await using var h = new DiscoveryHarness(o =>
        {
            o.Identities.Clear();
            o.PeerListRefreshInterval = TimeSpan.Zero;
        });
        var store = new InMemoryPeerStore();
        var records = Enumerable.Range(0, 10_000)
            .Select(i => PeerRecord.FromRealName(PeerRealName.Parse($"p{i}.example.org s t", DefaultPorts.BitcoinMainnet), PeerSources.Peer) with { LastGood = DiscoveryHarness.Start })
            .ToArray();
        await store.SaveAsync(records, DiscoveryHarness.Token);
        h.Store = store;
        var timersBefore = ActiveTimers();

        await h.Manager.StartAsync(DiscoveryHarness.Token);
        h.Time.Advance(TimeSpan.FromMinutes(30));
        await ThreadPoolQuiescence.SettleAsync();

        h.Manager.Scheduler.Count.Should().Be(10_000);
        h.Manager.Scheduler.RunningCount.Should().Be(0);
        h.Network.Attempts.Should().BeEmpty();
        // One timer serves the whole schedule; the few others belong to the proxy look-up loop (a retry delay and a
        // time-out per look-up), none to an entry.
        (ActiveTimers() - timersBefore).Should().BeLessThanOrEqualTo(8, "10,000 idle entries must not cost a timer each");

        int ActiveTimers() => h.Time.TimersCreated;
    }

    [Fact]
    public async Task A_wake_up_during_a_check_runs_the_check_again_right_after()
    {
        await using var h = new DiscoveryHarness(o => o.SeedPeers.Add(PeerA + " s t"));
        var peer = h.AddPeer(PeerA, p => p.Silent("server.version"));
        await h.Manager.StartAsync(DiscoveryHarness.Token);
        await DiscoveryHarness.WaitUntilAsync(() => h.Manager.Scheduler.IsRunning(PeerHost.Parse(PeerA)));

        h.Manager.Scheduler.Wake(PeerHost.Parse(PeerA));
        peer.Answers["server.version"] = ScriptedAnswer.Of(new System.Text.Json.Nodes.JsonArray("x", "1.4"));
        await h.RunClockUntilAsync(() => h.Status(PeerA) == PeerStatus.Good, TimeSpan.FromSeconds(5));
    }

    /// <summary>Verifies honestly, except peers named stuck*, whose verification runs until it is cancelled.</summary>
    private sealed class NeverEndingVerifier(IChainView chain, PeerManagementOptions options) : IPeerVerifier
    {
        private readonly ElectrumPeerVerifier _honest = new(chain, Microsoft.Extensions.Options.Options.Create(options));

        public async ValueTask<PeerVerificationResult> VerifyAsync(PeerVerificationContext context, CancellationToken cancellationToken)
        {
            if (context.Peer.Host.Value.StartsWith("stuck", StringComparison.Ordinal))
            {
                await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
            }

            return await _honest.VerifyAsync(context, cancellationToken);
        }
    }

    private sealed class ThrowingStore : IPeerStore
    {
        public ValueTask<IReadOnlyList<PeerRecord>> LoadAsync(CancellationToken cancellationToken) => throw new IOException("disk on fire");

        public ValueTask SaveAsync(IReadOnlyList<PeerRecord> peers, CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}

public class PeerCheckSchedulerTests
{
    [Fact]
    public async Task Entries_due_years_away_are_reached_in_timer_hops()
    {
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DiscoveryHarness.Start);
        var checks = 0;
        var scheduler = new PeerCheckScheduler(time, 2, (_, _) =>
        {
            Interlocked.Increment(ref checks);
            return Task.FromResult<DateTimeOffset?>(null);
        });
        await using (scheduler)
        {
            scheduler.Start();
            scheduler.Schedule(PeerHost.Parse("far.example.org"), DiscoveryHarness.Start + TimeSpan.FromDays(400));
            await ThreadPoolQuiescence.SettleAsync();

            for (var day = 0; day < 399; day += 7)
            {
                time.Advance(TimeSpan.FromDays(7));
                await ThreadPoolQuiescence.SettleAsync();
            }

            checks.Should().Be(0);
            time.Advance(TimeSpan.FromDays(8));
            await DiscoveryHarness.WaitUntilAsync(() => Volatile.Read(ref checks) == 1);
        }
    }
}
