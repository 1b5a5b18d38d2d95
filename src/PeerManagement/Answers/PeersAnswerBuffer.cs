using System.Buffers;

namespace PeerManagement;

/// <summary>
/// The UTF-8 text of one built peer-list answer, in an array reused from build to build so that a large answer
/// costs no allocation (and nothing on the large object heap) once warm. Counted references: the cache holds one,
/// each answer handed out holds one until it is written; the last release gives the array back for the next build.
/// </summary>
internal sealed class PeersAnswerBuffer : IBufferWriter<byte>
{
    private readonly Action<PeersAnswerBuffer> _recycle;
    private byte[] _array;
    private int _length;
    private int _references;

    public PeersAnswerBuffer(int capacity, Action<PeersAnswerBuffer> recycle)
    {
        _array = new byte[capacity];
        _recycle = recycle;
    }

    /// <summary>The text written so far.</summary>
    public ReadOnlySpan<byte> Written => _array.AsSpan(0, _length);

    /// <summary>How many bytes were written so far.</summary>
    public int Length => _length;

    /// <summary>Starts a new text, owned by the caller (one reference).</summary>
    public void Reset()
    {
        _length = 0;
        _references = 1;
    }

    /// <summary>Takes one more reference, unless the last one was already released.</summary>
    public bool TryAddReference()
    {
        var count = Volatile.Read(ref _references);
        while (count > 0)
        {
            var seen = Interlocked.CompareExchange(ref _references, count + 1, count);
            if (seen == count)
            {
                return true;
            }

            count = seen;
        }

        return false;
    }

    /// <summary>Drops one reference; the last one hands the array back for reuse.</summary>
    public void Release()
    {
        if (Interlocked.Decrement(ref _references) == 0)
        {
            _recycle(this);
        }
    }

    public void Advance(int count) => _length += count;

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _array.AsMemory(_length);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        Grow(sizeHint);
        return _array.AsSpan(_length);
    }

    private void Grow(int sizeHint)
    {
        if (_array.Length - _length < Math.Max(sizeHint, 1))
        {
            Array.Resize(ref _array, Math.Max(_array.Length * 2, _length + sizeHint));
        }
    }
}
