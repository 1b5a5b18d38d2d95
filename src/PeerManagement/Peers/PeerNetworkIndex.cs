using System.Net;
using System.Runtime.InteropServices;

namespace PeerManagement;

/// <summary>
/// The entries of a <see cref="PeerTable"/> by public external network (IPv4 /16, IPv6 /56) of the address they were
/// last connected to, or of their IP literal: a count and a doubly linked chain per network
/// (<see cref="PeerTableEntry.PrevSameNetwork"/>, <see cref="PeerTableEntry.NextSameNetwork"/>), so the per-network
/// entry cap counts in O(1) and looks for room among that network's entries alone. Onion peers, names not resolved
/// yet and non-public addresses have no network. Not thread-safe: the table's lock guards it.
/// </summary>
internal sealed class PeerNetworkIndex
{
    private readonly Dictionary<NetworkPrefix, (PeerTableEntry Head, int Count)> _chains = [];

    /// <summary>The network a record counts in, or <see langword="null"/> for none.</summary>
    public static NetworkPrefix? NetworkOf(PeerHost host, IPAddress? address)
    {
        if (host.IsOnion || (address ?? host.Address) is not { } ip || !PeerHost.IsPublicAddress(ip))
        {
            return null;
        }

        return PeerBuckets.GetExternalNetwork(ip);
    }

    /// <summary>How many networks hold at least one entry.</summary>
    public int NetworkCount => _chains.Count;

    public int Count(NetworkPrefix network) => _chains.TryGetValue(network, out var chain) ? chain.Count : 0;

    /// <summary>The first entry of a network; follow <see cref="PeerTableEntry.NextSameNetwork"/> for the rest.</summary>
    public PeerTableEntry? First(NetworkPrefix network) => _chains.TryGetValue(network, out var chain) ? chain.Head : null;

    public void Link(PeerTableEntry entry)
    {
        if (NetworkOf(entry.Record.Host, entry.Record.IPAddress) is not { } network)
        {
            return;
        }

        ref var chain = ref CollectionsMarshal.GetValueRefOrAddDefault(_chains, network, out _);
        entry.PrevSameNetwork = null;
        entry.NextSameNetwork = chain.Head;
        if (chain.Head is not null)
        {
            chain.Head.PrevSameNetwork = entry;
        }

        chain = (entry, chain.Count + 1);
    }

    /// <summary>Unlinks an entry; call before its record changes, as the network is derived from the record.</summary>
    public void Unlink(PeerTableEntry entry)
    {
        if (NetworkOf(entry.Record.Host, entry.Record.IPAddress) is not { } network)
        {
            return;
        }

        ref var chain = ref CollectionsMarshal.GetValueRefOrNullRef(_chains, network);
        if (System.Runtime.CompilerServices.Unsafe.IsNullRef(ref chain))
        {
            return;
        }

        if (entry.PrevSameNetwork is { } previous)
        {
            previous.NextSameNetwork = entry.NextSameNetwork;
        }
        else if (chain.Head == entry)
        {
            chain.Head = entry.NextSameNetwork!;
        }
        else
        {
            // Not linked (the index was not kept when it was added): nothing to remove.
            return;
        }

        if (entry.NextSameNetwork is { } next)
        {
            next.PrevSameNetwork = entry.PrevSameNetwork;
        }

        entry.PrevSameNetwork = null;
        entry.NextSameNetwork = null;
        if (--chain.Count == 0)
        {
            _chains.Remove(network);
        }
    }
}
