using System.Globalization;
using System.Threading.Channels;
using StackExchange.Redis;

namespace PeerManagement.Redis;

/// <summary>
/// The fleet's peer table in Redis: one hash (<c>prefix:peers</c>, host → version and record) written only by a
/// newer version (one script, compare and write and publish in one step), and a channel (<c>prefix:peers:changes</c>)
/// that tells every instance of each write at once. At start, and after every outage, it re-syncs both ways: sends
/// the local records (the newer win) and applies the fleet's newer ones, so nothing either side wrote is lost.
/// Local changes are queued (the newest per host) and sent by one loop, never on the caller's thread.
/// </summary>
internal sealed class RedisRecordExchange : IPeerRecordExchange
{
    // Versions are compared as 20-digit strings: ticks exceed the integers Lua's numbers hold exactly.
    private const string WriteScript = """
        local cur = redis.call('HGET', KEYS[1], ARGV[1])
        if cur and string.sub(cur, 1, 20) >= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ARGV[3])
        redis.call('PUBLISH', KEYS[2], ARGV[4] .. '\n' .. ARGV[1] .. '\n' .. ARGV[2] .. ARGV[3])
        return 1
        """;

    private readonly RedisFleetConnection _connection;
    private readonly RedisKey _tableKey;
    private readonly RedisChannel _channel;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, PeerRecordUpdate> _pending = new(StringComparer.Ordinal);
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
    private volatile bool _resyncNeeded = true;

    public RedisRecordExchange(RedisFleetConnection connection)
    {
        _connection = connection;
        _tableKey = connection.Key("peers");
        _channel = RedisChannel.Literal(connection.Prefix + ":peers:changes");
        connection.Restored += () =>
        {
            _resyncNeeded = true;
            _wake.Writer.TryWrite(true);
        };
    }

    public void Publish(PeerRecordUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        lock (_gate)
        {
            _pending[update.Host.Value] = update;
        }

        _wake.Writer.TryWrite(true);
    }

    public async Task RunAsync(IPeerRecordSink sink, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sink);
        RedisLog.Joined(_connection.Logger, _connection.Prefix, _connection.InstanceId);
        var subscriber = _connection.Multiplexer.GetSubscriber();
        ChannelMessageQueue? queue = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                queue ??= await SubscribeAsync(subscriber, sink).ConfigureAwait(false);
                if (_resyncNeeded && queue is not null)
                {
                    await ResyncAsync(sink, cancellationToken).ConfigureAwait(false);
                }

                await SendPendingAsync().ConfigureAwait(false);
                try
                {
                    await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }
        finally
        {
            if (queue is not null)
            {
                try
                {
                    await queue.UnsubscribeAsync().ConfigureAwait(false);
                }
                catch (Exception ex) when (_connection.ReportFailure(ex, "unsubscribe"))
                {
                    // Stopping while Redis is away: nothing left to unsubscribe from.
                }
            }
        }
    }

    private async Task<ChannelMessageQueue?> SubscribeAsync(ISubscriber subscriber, IPeerRecordSink sink)
    {
        try
        {
            var queue = await subscriber.SubscribeAsync(_channel).ConfigureAwait(false);
            queue.OnMessage(message => Receive(sink, message.Message));
            return queue;
        }
        catch (Exception ex) when (_connection.ReportFailure(ex, "subscribe"))
        {
            return null;
        }
    }

    private void Receive(IPeerRecordSink sink, RedisValue message)
    {
        // "instance \n host \n version record": our own writes are already in our table.
        var parts = ((string?)message)?.Split('\n', 3);
        if (parts is not { Length: 3 } || parts[0] == _connection.InstanceId)
        {
            return;
        }

        if (Read(parts[2], parts[1]) is { } update)
        {
            try
            {
                sink.Apply(update);
            }
            catch (Exception ex) when (ex is ObjectDisposedException or InvalidOperationException)
            {
                // The instance is stopping: its table no longer takes records, and the fleet keeps this one.
            }
        }
    }

    private async Task SendPendingAsync()
    {
        PeerRecordUpdate[] batch;
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                return;
            }

            batch = [.. _pending.Values];
            _pending.Clear();
        }

        try
        {
            await WriteAsync(batch).ConfigureAwait(false);
            _connection.ReportSuccess();
        }
        catch (Exception ex) when (_connection.ReportFailure(ex, "publish"))
        {
            // Not lost: the re-sync after the outage sends every local record.
            _resyncNeeded = true;
        }
    }

    private async Task<int> WriteAsync(IReadOnlyCollection<PeerRecordUpdate> updates)
    {
        var database = _connection.Database;
        var writes = new List<Task<RedisResult>>(updates.Count);
        foreach (var update in updates)
        {
            var body = update.Record is null ? string.Empty : PeerRecordCodec.Encode(update.Record);
            writes.Add(database.ScriptEvaluateAsync(WriteScript, [_tableKey, _channel.ToString()], [update.Host.Value, FormatVersion(update.Version), body, _connection.InstanceId]));
        }

        var results = await Task.WhenAll(writes).ConfigureAwait(false);
        return results.Count(r => (long)r == 1);
    }

    private async Task ResyncAsync(IPeerRecordSink sink, CancellationToken cancellationToken)
    {
        try
        {
            _resyncNeeded = false;
            var sent = await WriteAsync(sink.Snapshot()).ConfigureAwait(false);
            var entries = await _connection.Database.HashGetAllAsync(_tableKey).WaitAsync(cancellationToken).ConfigureAwait(false);
            var applied = 0;
            foreach (var entry in entries)
            {
                if (Read((string?)entry.Value, (string?)entry.Name) is { } update && sink.Apply(update))
                {
                    applied++;
                }
            }

            _connection.ReportSuccess();
            RedisLog.Resynced(_connection.Logger, _connection.Prefix, sent, applied);
        }
        catch (Exception ex) when (_connection.ReportFailure(ex, "resync"))
        {
            _resyncNeeded = true;
        }
    }

    /// <summary>Reads "version (20 digits) + record JSON (empty: forgotten)" of <paramref name="host"/>.</summary>
    private PeerRecordUpdate? Read(string? text, string? host)
    {
        if (text is null || text.Length < 20 || !long.TryParse(text.AsSpan(0, 20), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            RedisLog.RecordUnreadable(_connection.Logger, _connection.Prefix, "no version");
            return null;
        }

        if (text.Length == 20)
        {
            return PeerHost.TryParse(host, out var forgotten) ? new PeerRecordUpdate(forgotten, null, version) : null;
        }

        if (PeerRecordCodec.Decode(text[20..], out var error) is not { } record || !string.Equals(record.Host.Value, host, StringComparison.Ordinal))
        {
            RedisLog.RecordUnreadable(_connection.Logger, _connection.Prefix, error ?? "its host is not the one it was stored under");
            return null;
        }

        return new PeerRecordUpdate(record.Host, record, version);
    }

    private static string FormatVersion(long version) => Math.Max(0, version).ToString("D20", CultureInfo.InvariantCulture);
}
