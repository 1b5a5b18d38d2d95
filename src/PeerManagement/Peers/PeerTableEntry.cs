namespace PeerManagement;

/// <summary>The mutable bookkeeping around one record of a <see cref="PeerTable"/>; only touched under the table's lock.</summary>
internal sealed class PeerTableEntry(PeerRecord record)
{
    public PeerRecord Record { get; set; } = record;

    /// <summary>The neighbours in the last-good order of <see cref="PeerStatusCounts"/>.</summary>
    public PeerTableEntry? Prev { get; set; }

    /// <inheritdoc cref="Prev"/>
    public PeerTableEntry? Next { get; set; }

    /// <summary>Whether <see cref="PeerStatusCounts"/> counts this entry as stale.</summary>
    public bool CountedStale { get; set; }

    /// <summary>The next entry last connected to the same address (<see cref="PeerAddressIndex"/>).</summary>
    public PeerTableEntry? NextSameAddress { get; set; }

    /// <summary>The neighbours among the entries of the same network (<see cref="PeerNetworkIndex"/>).</summary>
    public PeerTableEntry? PrevSameNetwork { get; set; }

    /// <inheritdoc cref="PrevSameNetwork"/>
    public PeerTableEntry? NextSameNetwork { get; set; }

    /// <summary>Other port pairs heard of for this peer, tried after its own.</summary>
    public List<PeerPorts>? Alternatives { get; set; }

    /// <summary>Remembers a port pair; the oldest goes when there are already <see cref="PeerTable.MaxAlternativePorts"/>.</summary>
    /// <returns><see langword="false"/> when it was already remembered.</returns>
    public bool AddAlternative(PeerPorts ports)
    {
        Alternatives ??= new List<PeerPorts>(1);
        if (Alternatives.Contains(ports))
        {
            return false;
        }

        if (Alternatives.Count == PeerTable.MaxAlternativePorts)
        {
            Alternatives.RemoveAt(0);
        }

        Alternatives.Add(ports);
        return true;
    }
}
