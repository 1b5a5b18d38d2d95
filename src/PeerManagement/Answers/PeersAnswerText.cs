using System.Buffers;
using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// Writes the entries of a peer-list answer straight as UTF-8 JSON, the bytes a <see cref="Utf8JsonWriter"/> would
/// write (compact, relaxed escaping). Host names and tokens are plain ASCII, so they are copied, not escaped; any
/// other text goes through the JSON encoder. One instance per builder, reused from build to build.
/// </summary>
/// <remarks>
/// An entry may also be staged: written on its own into a scratch buffer while its record is at hand, and copied
/// into the answer later (<see cref="WriteStaged"/>), so that a large build reads each record once.
/// </remarks>
internal sealed class PeersAnswerText
{
    // Room for an entry besides its host written twice: brackets, quotes and commas, an IPv6 address (at most 45
    // characters) and the tokens (a version of three 4-digit parts, a 19-digit pruning limit, two ports).
    private const int EntryRoom = 160;

    private static readonly SearchValues<char> PlainCharacters = SearchValues.Create(
        " !#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[]^_`abcdefghijklmnopqrstuvwxyz{|}~");

    private PeersAnswerBuffer? _buffer;
    private bool _firstEntry;

    /// <summary>Starts an answer in <paramref name="buffer"/>.</summary>
    public void Begin(PeersAnswerBuffer buffer)
    {
        _buffer = buffer;
        _firstEntry = true;
        WriteByte(buffer, (byte)'[');
    }

    /// <summary>Closes the answer.</summary>
    public void End()
    {
        WriteByte(_buffer!, (byte)']');
        _buffer = null;
    }

    /// <summary>Writes <c>[ip-or-host,host,["v1.4","p100","s","t50011"]]</c>.</summary>
    public void WriteEntry(IPAddress? address, PeerHost host, PeerPorts ports, ProtocolVersion? version, long? pruning, DefaultPorts defaults)
    {
        var buffer = _buffer!;
        if (!_firstEntry)
        {
            WriteByte(buffer, (byte)',');
        }

        _firstEntry = false;
        WriteEntryTo(buffer, address, host, ports, version, pruning, defaults);
    }

    /// <summary>Writes an entry on its own at the end of <paramref name="scratch"/>; returns where it starts.</summary>
    public int Stage(PeersAnswerBuffer scratch, IPAddress? address, PeerHost host, PeerPorts ports, ProtocolVersion? version, long? pruning, DefaultPorts defaults)
    {
        var start = scratch.Length;
        WriteEntryTo(scratch, address, host, ports, version, pruning, defaults);
        return start;
    }

    /// <summary>Writes a staged entry into the answer.</summary>
    public void WriteStaged(ReadOnlySpan<byte> entry)
    {
        var buffer = _buffer!;
        var span = buffer.GetSpan(entry.Length + 1);
        var at = 0;
        if (!_firstEntry)
        {
            span[at++] = (byte)',';
        }

        _firstEntry = false;
        entry.CopyTo(span[at..]);
        buffer.Advance(at + entry.Length);
    }

    private static void WriteEntryTo(PeersAnswerBuffer buffer, IPAddress? address, PeerHost host, PeerPorts ports, ProtocolVersion? version, long? pruning, DefaultPorts defaults)
    {
        var name = host.Value;
        var plainName = IsPlain(name);
        var span = buffer.GetSpan(EntryRoom + (2 * name.Length));
        var at = 0;
        span[at++] = (byte)'[';
        if (address is not null && TryWriteAddress(address, span[at..], out var written))
        {
            at += written;
        }
        else
        {
            at = WriteString(buffer, at, name, plainName, ref span);
        }

        span[at++] = (byte)',';
        at = WriteString(buffer, at, name, plainName, ref span);
        span[at++] = (byte)',';
        span[at++] = (byte)'[';
        at += WriteTokens(span[at..], ports, version, pruning, defaults);
        span[at++] = (byte)']';
        span[at++] = (byte)']';
        buffer.Advance(at);
    }

    // The tokens of PeerRealName.FormatTokens, quoted: version, pruning, SSL port, TCP port, a default port bare.
    // All digits and letters, so written without the general formatter; a test keeps the two in step.
    private static int WriteTokens(Span<byte> span, PeerPorts ports, ProtocolVersion? version, long? pruning, DefaultPorts defaults)
    {
        var at = 0;
        if (version is { } v)
        {
            Open(span, ref at, 'v');
            at += WriteDecimal(v.Major, span[at..]);
            span[at++] = (byte)'.';
            at += WriteDecimal(v.Minor, span[at..]);
            if (v.Patch != 0)
            {
                span[at++] = (byte)'.';
                at += WriteDecimal(v.Patch, span[at..]);
            }

            span[at++] = (byte)'"';
        }

        if (pruning is { } p)
        {
            Open(span, ref at, 'p');
            at += WriteDecimal(p, span[at..]);
            span[at++] = (byte)'"';
        }

        if (ports.SslPort is { } ssl)
        {
            Open(span, ref at, 's');
            at += ssl == defaults.Ssl ? 0 : WriteDecimal(ssl, span[at..]);
            span[at++] = (byte)'"';
        }

        if (ports.TcpPort is { } tcp)
        {
            Open(span, ref at, 't');
            at += tcp == defaults.Tcp ? 0 : WriteDecimal(tcp, span[at..]);
            span[at++] = (byte)'"';
        }

        return at;

        static void Open(Span<byte> span, ref int at, char letter)
        {
            if (at > 0)
            {
                span[at++] = (byte)',';
            }

            span[at++] = (byte)'"';
            span[at++] = (byte)letter;
        }
    }

    private static int WriteDecimal(long value, Span<byte> span)
    {
        value.TryFormat(span, out var written, default, CultureInfo.InvariantCulture);
        return written;
    }

    // The address in quotes; an IPv4 address without IPAddress's general formatter, which costs more than the rest of the entry.
    private static bool TryWriteAddress(IPAddress address, Span<byte> span, out int written)
    {
        span[0] = (byte)'"';
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            // The stored number (network order in memory), read without copying the bytes out.
#pragma warning disable CS0618 // obsolete only because it means nothing for IPv6
            var number = (uint)address.Address;
#pragma warning restore CS0618
            if (!BitConverter.IsLittleEndian)
            {
                number = BinaryPrimitives.ReverseEndianness(number);
            }

            var at = 1;
            for (var i = 0; i < 4; i++)
            {
                if (i > 0)
                {
                    span[at++] = (byte)'.';
                }

                at += WriteByteDecimal((byte)(number >> (8 * i)), span[at..]);
            }

            span[at++] = (byte)'"';
            written = at;
            return true;
        }

        if (address.TryFormat(span[1..], out var length))
        {
            span[1 + length] = (byte)'"';
            written = length + 2;
            return true;
        }

        written = 0;
        return false;
    }

    private static int WriteByteDecimal(byte value, Span<byte> span)
    {
        if (value >= 100)
        {
            span[0] = (byte)('0' + (value / 100));
            span[1] = (byte)('0' + (value / 10 % 10));
            span[2] = (byte)('0' + (value % 10));
            return 3;
        }

        if (value >= 10)
        {
            span[0] = (byte)('0' + (value / 10));
            span[1] = (byte)('0' + (value % 10));
            return 2;
        }

        span[0] = (byte)('0' + value);
        return 1;
    }

    private static void WriteByte(PeersAnswerBuffer buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    // Writes text in quotes at span[at..] and returns the position after it. Text that is not plain is encoded, and
    // the span is then taken anew after what was written before it.
    private static int WriteString(PeersAnswerBuffer buffer, int at, string text, bool plain, ref Span<byte> span)
    {
        if (plain)
        {
            return at + WritePlain(text, span[at..]);
        }

        var encoded = JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
        buffer.Advance(at);
        span = buffer.GetSpan(EntryRoom + encoded.Length + (2 * text.Length));
        span[0] = (byte)'"';
        encoded.CopyTo(span[1..]);
        span[encoded.Length + 1] = (byte)'"';

        return encoded.Length + 2;
    }

    // Plain text in quotes; returns the bytes written.
    private static int WritePlain(ReadOnlySpan<char> text, Span<byte> span)
    {
        span[0] = (byte)'"';
        Ascii.FromUtf16(text, span[1..], out var written);
        span[1 + written] = (byte)'"';
        return written + 2;
    }

    // Printable ASCII without the quote and the backslash: written as it is (one scan).
    private static bool IsPlain(ReadOnlySpan<char> text) => !text.ContainsAnyExcept(PlainCharacters);
}
