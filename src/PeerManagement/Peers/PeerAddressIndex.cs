using System.Net;

namespace PeerManagement;

/// <summary>
/// The entries of a <see cref="PeerTable"/> by the IP address they were last connected to: a chain
/// (<see cref="PeerTableEntry.NextSameAddress"/>) per address, so matching by address is O(1). Not thread-safe: the
/// table's lock guards it.
/// </summary>
internal sealed class PeerAddressIndex
{
    private readonly Dictionary<IPAddress, PeerTableEntry> _heads = [];

    /// <summary>The first entry last connected to <paramref name="address"/>; follow <see cref="PeerTableEntry.NextSameAddress"/> for the rest.</summary>
    public PeerTableEntry? First(IPAddress address) => _heads.TryGetValue(address, out var head) ? head : null;

    public void Link(PeerTableEntry entry)
    {
        if (entry.Record.IPAddress is not { } address)
        {
            return;
        }

        entry.NextSameAddress = First(address);
        _heads[address] = entry;
    }

    public void Unlink(PeerTableEntry entry)
    {
        if (entry.Record.IPAddress is not { } address || First(address) is not { } head)
        {
            return;
        }

        if (head == entry)
        {
            if (entry.NextSameAddress is null)
            {
                _heads.Remove(address);
            }
            else
            {
                _heads[address] = entry.NextSameAddress;
            }
        }
        else
        {
            var previous = head;
            while (previous.NextSameAddress is not null && previous.NextSameAddress != entry)
            {
                previous = previous.NextSameAddress;
            }

            previous.NextSameAddress = entry.NextSameAddress;
        }

        entry.NextSameAddress = null;
    }
}
