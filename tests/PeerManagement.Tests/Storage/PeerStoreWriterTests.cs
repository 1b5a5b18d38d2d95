using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace PeerManagement.Tests.Storage;

public sealed class PeerStoreWriterTests : IAsyncDisposable
{
    private static readonly TimeSpan Interval = PeerStoreOptions.DefaultSaveInterval;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(20);

    private readonly FakeTimeProvider _time = new(StoreTestData.Now);
    private readonly FakeLogger<PeerStoreWriter> _logger = new();
    private readonly RecordingPeerStore _store = new();
    private readonly PeerTable _table;
    private readonly PeerStoreWriter _writer;

    public PeerStoreWriterTests()
    {
        _table = new PeerTable(_time, StoreTestData.StaleAfter);
        _writer = CreateWriter(_store);
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public async ValueTask DisposeAsync() => await _writer.DisposeAsync();

    [Fact]
    public async Task Ten_thousand_changes_within_one_interval_cause_one_write()
    {
        await _writer.StartAsync(Ct);
        foreach (var peer in StoreTestData.Many(10_000))
        {
            _table.TryAdd(peer);
        }

        _time.Advance(Interval - TimeSpan.FromTicks(1));
        _store.Attempts.Should().Be(0, "nothing is written before the interval has passed");
        _time.Advance(TimeSpan.FromTicks(1));
        await SaveDoneAsync();
        _time.Advance(Interval * 5);
        await SaveDoneAsync();

        _store.Saves.Should().ContainSingle().Which.Should().HaveCount(10_000);
    }

    [Fact]
    public async Task Changes_after_a_save_are_saved_one_interval_later()
    {
        await _writer.StartAsync(Ct);
        _table.TryAdd(StoreTestData.Many(1)[0]);
        _time.Advance(Interval);
        await SaveDoneAsync();

        _table.TryAdd(StoreTestData.Many(2)[1]);
        _time.Advance(Interval / 2);
        await SaveDoneAsync();
        _store.Saves.Should().HaveCount(1);
        _time.Advance(Interval / 2);
        await SaveDoneAsync();

        _store.Saves.Select(s => s.Count).Should().Equal(1, 2);
    }

    [Fact]
    public async Task Unchanged_table_is_never_saved()
    {
        _table.TryAdd(StoreTestData.Many(1)[0]);
        await _writer.StartAsync(Ct);

        _time.Advance(Interval * 10);
        await SaveDoneAsync();
        await _writer.StopAsync(Ct);

        _store.Attempts.Should().Be(0, "a table loaded at start or left unchanged must not overwrite the store");
    }

    [Fact]
    public async Task Failed_save_is_logged_and_retried_and_the_table_is_untouched()
    {
        _store.FailNext = 2;
        await _writer.StartAsync(Ct);
        var peers = StoreTestData.Many(3);
        foreach (var peer in peers)
        {
            _table.TryAdd(peer);
        }

        _time.Advance(Interval);
        await SaveDoneAsync();
        _time.Advance(Interval);
        await SaveDoneAsync();

        _store.Attempts.Should().Be(2);
        _store.Saves.Should().BeEmpty();
        var failures = _logger.Collector.GetSnapshot().Where(r => r.Id.Id == 508).ToArray();
        failures.Should().HaveCount(2).And.OnlyContain(r => r.Level == LogLevel.Error && r.Exception is IOException);
        _table.GetRecords().OrderBy(p => p.Host.Value).ShouldEqual(peers.OrderBy(p => p.Host.Value));

        _time.Advance(Interval);
        await SaveDoneAsync();

        _store.Saves.Should().ContainSingle().Which.Should().HaveCount(3);
        _writer.SaveCount.Should().Be(1);
    }

    [Fact]
    public async Task Failed_save_to_a_path_that_cannot_be_written_is_logged_and_retried_until_it_works()
    {
        using var directory = new TemporaryDirectory();
        var path = directory.File("peers.json");
        Directory.CreateDirectory(path); // a directory where the file should be: fails even for root
        var fileStore = new FilePeerStore(Options.Create(new PeerStoreOptions { Path = path }), _time);
        await using var writer = CreateWriter(fileStore);
        await writer.StartAsync(Ct);
        var peers = StoreTestData.Many(3);
        foreach (var peer in peers)
        {
            _table.TryAdd(peer);
        }

        _time.Advance(Interval);
        await writer.CurrentSave.WaitAsync(Bound, Ct);

        _logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 508).Which.Exception.Should().BeAssignableTo<IOException>();
        _table.Count.Should().Be(3);
        writer.SaveCount.Should().Be(0);

        Directory.Delete(path);
        _time.Advance(Interval);
        await writer.CurrentSave.WaitAsync(Bound, Ct);

        writer.SaveCount.Should().Be(1);
        (await fileStore.LoadAsync(Ct)).Should().HaveCount(3);
    }

    [Fact]
    public async Task Stop_saves_the_last_changes_at_once()
    {
        await _writer.StartAsync(Ct);
        _table.TryAdd(StoreTestData.Many(1)[0]);

        await _writer.StopAsync(Ct);

        _store.Saves.Should().ContainSingle().Which.Should().HaveCount(1);
        _table.TryAdd(StoreTestData.Many(2)[1]);
        _time.Advance(Interval * 2);
        _store.Attempts.Should().Be(1, "nothing is saved after stop");
    }

    [Fact]
    public async Task Stop_waits_for_the_save_in_progress_then_saves_what_changed_meanwhile_never_two_at_once()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.Hold = release.Task;
        await _writer.StartAsync(Ct);
        _table.TryAdd(StoreTestData.Many(1)[0]);
        _time.Advance(Interval);
        _table.TryAdd(StoreTestData.Many(2)[1]);

        var stop = _writer.StopAsync(Ct);
        stop.IsCompleted.Should().BeFalse();
        release.SetResult();
        await stop.WaitAsync(Bound, Ct);

        _store.Saves.Select(s => s.Count).Should().Equal(1, 2);
        _store.MaxConcurrentSaves.Should().Be(1);
    }

    [Fact]
    public async Task Change_during_a_save_is_saved_by_the_next_one()
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _store.Hold = release.Task;
        await _writer.StartAsync(Ct);
        _table.TryAdd(StoreTestData.Many(1)[0]);
        _time.Advance(Interval);
        _table.TryAdd(StoreTestData.Many(2)[1]);
        _time.Advance(Interval * 3);
        release.SetResult();
        await SaveDoneAsync();
        _store.Saves.Should().ContainSingle("the second save waits a whole interval after the first ended");

        _time.Advance(Interval);
        await SaveDoneAsync();

        _store.Saves.Select(s => s.Count).Should().Equal(1, 2);
        _store.MaxConcurrentSaves.Should().Be(1);
    }

    [Fact]
    public async Task Failed_last_save_at_stop_is_logged_and_does_not_fail_the_stop()
    {
        _store.FailNext = 1;
        await _writer.StartAsync(Ct);
        _table.TryAdd(StoreTestData.Many(1)[0]);

        await _writer.StopAsync(Ct);

        _logger.Collector.GetSnapshot().Should().ContainSingle(r => r.Id.Id == 509 && r.Level == LogLevel.Error);
    }

    [Fact]
    public async Task Dispose_without_stop_cancels_and_does_not_save()
    {
        await _writer.StartAsync(Ct);
        _table.TryAdd(StoreTestData.Many(1)[0]);

        await _writer.DisposeAsync();
        await _writer.DisposeAsync();
        _time.Advance(Interval * 2);

        _store.Attempts.Should().Be(0);
    }

    private PeerStoreWriter CreateWriter(IPeerStore store)
        => new(_table, store, Options.Create(new PeerStoreOptions()), _time, _logger);

    private async Task SaveDoneAsync() => await _writer.CurrentSave.WaitAsync(Bound, Ct);
}
