using System.Collections.Concurrent;

namespace PeerManagement.Redis.Tests.Coordination;

/// <summary>A sink that keeps the newest update per host, as the core's does, and lists what it was given.</summary>
internal sealed class RecordingSink : IPeerRecordSink
{
    public ConcurrentDictionary<string, PeerRecordUpdate> Table { get; } = new(StringComparer.Ordinal);

    public ConcurrentQueue<PeerRecordUpdate> Applied { get; } = new();

    public bool Apply(PeerRecordUpdate update)
    {
        Applied.Enqueue(update);
        if (Table.TryGetValue(update.Host.Value, out var local) && local.Version >= update.Version)
        {
            return false;
        }

        Table[update.Host.Value] = update;
        return true;
    }

    public IReadOnlyList<PeerRecordUpdate> Snapshot() => [.. Table.Values];
}
