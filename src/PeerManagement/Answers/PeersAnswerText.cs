using System.Buffers;
using System.Net;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace PeerManagement;

/// <summary>
/// Writes the entries of a peer-list answer straight as UTF-8 JSON, the bytes a <see cref="Utf8JsonWriter"/> would
/// write (compact, relaxed escaping). Host names and tokens are plain ASCII, so they are copied, not escaped; any
/// other text goes through the JSON encoder. One instance per builder, reused from build to build.
/// </summary>
internal sealed class PeersAnswerText
{
    private static readonly ReadOnlySpanAction<char, PeersAnswerText> WriteToken = static (token, self) => self.Token(token);
    private PeersAnswerBuffer? _buffer;
    private bool _firstEntry;
    private bool _firstToken;

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
        WriteByte(buffer, (byte)'[');
        if (address is not null)
        {
            var span = buffer.GetSpan(66);
            span[0] = (byte)'"';
            if (address.TryFormat(span[1..], out var written))
            {
                span[1 + written] = (byte)'"';
                buffer.Advance(written + 2);
            }
            else
            {
                WriteString(buffer, host.Value);
            }
        }
        else
        {
            WriteString(buffer, host.Value);
        }

        WriteByte(buffer, (byte)',');
        WriteString(buffer, host.Value);
        WriteByte(buffer, (byte)',');
        WriteByte(buffer, (byte)'[');
        _firstToken = true;
        PeerRealName.FormatTokens(ports, version, pruning, defaults, WriteToken, this);
        WriteByte(buffer, (byte)']');
        WriteByte(buffer, (byte)']');
    }

    private static void WriteByte(PeersAnswerBuffer buffer, byte value)
    {
        buffer.GetSpan(1)[0] = value;
        buffer.Advance(1);
    }

    private static void WriteString(PeersAnswerBuffer buffer, ReadOnlySpan<char> text)
    {
        if (!IsPlain(text))
        {
            var encoded = JsonEncodedText.Encode(text, JavaScriptEncoder.UnsafeRelaxedJsonEscaping).EncodedUtf8Bytes;
            var target = buffer.GetSpan(encoded.Length + 2);
            target[0] = (byte)'"';
            encoded.CopyTo(target[1..]);
            target[encoded.Length + 1] = (byte)'"';
            buffer.Advance(encoded.Length + 2);
            return;
        }

        var span = buffer.GetSpan(text.Length + 2);
        span[0] = (byte)'"';
        Ascii.FromUtf16(text, span[1..], out var written);
        span[1 + written] = (byte)'"';
        buffer.Advance(written + 2);
    }

    // Printable ASCII without the quote and the backslash: written as it is.
    private static bool IsPlain(ReadOnlySpan<char> text)
        => !text.ContainsAnyExceptInRange(' ', '~') && !text.ContainsAny('"', '\\');

    private void Token(ReadOnlySpan<char> token)
    {
        if (!_firstToken)
        {
            WriteByte(_buffer!, (byte)',');
        }

        _firstToken = false;
        WriteString(_buffer!, token);
    }
}
