using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace PeerManagement;

/// <summary>
/// What the peer-list answer needs from the table: a version that moves only when the good peers others are told
/// about could look different, and a copy of the records into a buffer the caller keeps.
/// </summary>
public sealed partial class PeerTable
{
    private long _goodPeersVersion;

    /// <summary>
    /// A number that grows when a peer becomes or stops being good, or a good peer's address, ports, version or
    /// pruning change. A check that leaves a good peer good with the same listing does not move it.
    /// </summary>
    internal long GoodPeersVersion => Interlocked.Read(ref _goodPeersVersion);

    /// <summary>Copies every record into <paramref name="buffer"/> (grown when too small), in no particular order.</summary>
    /// <returns>How many records were copied.</returns>
    internal int CopyRecords(ref PeerRecord[] buffer)
    {
        lock (_gate)
        {
            if (buffer.Length < _byHost.Count)
            {
                buffer = new PeerRecord[Math.Max(_byHost.Count, buffer.Length * 2)];
            }

            // Stored without the array's type check, which would read each record (a cache miss) only to find the
            // type the array already guarantees: the build reads the record later, once.
            var i = 0;
            ref var first = ref MemoryMarshal.GetArrayDataReference(buffer);
            foreach (var entry in _byHost.Values)
            {
                Unsafe.Add(ref first, i++) = entry.Record;
            }

            return i;
        }
    }

    /// <summary>Whether the two records of one host are listed alike to others (address, operator, ports, version, pruning).</summary>
    internal static bool SameListing(PeerRecord old, PeerRecord updated)
        => Equals(old.IPAddress, updated.IPAddress)
            && old.ServerKeyId == updated.ServerKeyId
            && old.Ports == updated.Ports
            && (old.Features?.ProtocolMax ?? old.Version) == (updated.Features?.ProtocolMax ?? updated.Version)
            && (old.Features?.Pruning ?? old.Pruning) == (updated.Features?.Pruning ?? updated.Pruning);

    private void NoteGoodPeersChange(PeerStatus? before, PeerStatus? after, bool listingChanged)
    {
        var wasGood = before == PeerStatus.Good;
        var isGood = after == PeerStatus.Good;
        if (wasGood != isGood || (isGood && listingChanged))
        {
            Interlocked.Increment(ref _goodPeersVersion);
        }
    }
}
