using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PeerManagement;

/// <summary>
/// The external buckets (IPv4 /16, IPv6 /56, see <see cref="PeerBuckets.GetExternalNetwork"/>) of one answer
/// build, each with the pick of its peers so far. An IPv4 /16 is a 16-bit number, so its slot is found by
/// index in an array reused from build to build: no hashing, and one compact array instead of a dictionary's
/// scattered entries, which is what kept a 100,000-peer answer slow. Other addresses use a dictionary, and so do
/// IPv4 ones while the table is small: the array is 1 MB, too much for a node that holds a few hundred peers.
/// </summary>
internal sealed class AnswerBuckets
{
    private readonly Dictionary<NetworkPrefix, BucketPick> _other = [];

    // By the top 16 bits of the address; a slot belongs to this build when its generation is the current one.
    private Slot[]? _ipv4;
    private int _generation;
    private bool _indexed;

    /// <summary>How many records a table holds before IPv4 buckets are found by index.</summary>
    internal const int IndexedFrom = 4096;

    /// <summary>Forgets the buckets of the previous build, for a build over <paramref name="records"/> records.</summary>
    public void Clear(int records)
    {
        _indexed = records >= IndexedFrom;
        _other.Clear();
        if (++_generation == int.MaxValue)
        {
            if (_ipv4 is not null)
            {
                Array.Clear(_ipv4);
            }

            _generation = 1;
        }
    }

    /// <summary>The pick of the bucket of <paramref name="address"/>; a name whose address is not known yet shares one bucket.</summary>
    public ref BucketPick Find(IPAddress? address)
    {
        if (_indexed && address is not null && TryGetIPv4(address, out var v4))
        {
            _ipv4 ??= new Slot[1 << 16];
            ref var slot = ref _ipv4[(int)(v4 >> 16)];
            if (slot.Generation != _generation)
            {
                slot = new Slot { Generation = _generation };
            }

            return ref slot.Pick;
        }

        var bucket = address is null ? default : PeerBuckets.GetExternalNetwork(address);
        return ref CollectionsMarshal.GetValueRefOrAddDefault(_other, bucket, out _);
    }

    // An IPv4 address, or an IPv4-mapped IPv6 one (taken as IPv4, as NetworkPrefix does).
    private static bool TryGetIPv4(IPAddress address, out uint value)
    {
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // The stored number itself (network order in memory), without copying the bytes out: this runs for every
            // peer of an answer. The property is obsolete only because it means nothing for IPv6.
#pragma warning disable CS0618
            value = BinaryPrimitives.ReverseEndianness((uint)address.Address);
#pragma warning restore CS0618
            if (!BitConverter.IsLittleEndian)
            {
                value = BinaryPrimitives.ReverseEndianness(value);
            }

            return true;
        }

        if (address.IsIPv4MappedToIPv6)
        {
            Span<byte> bytes = stackalloc byte[16];
            address.TryWriteBytes(bytes, out _);
            value = BinaryPrimitives.ReadUInt32BigEndian(bytes[12..]);
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>How many peers of a bucket were seen, and the (at most two) picked so far, by candidate index.</summary>
    internal struct BucketPick
    {
        public int Seen;
        public int First;
        public int Second;
    }

    private struct Slot
    {
        public int Generation;
        public BucketPick Pick;
    }
}
