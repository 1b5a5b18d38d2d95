using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text;

namespace PeerManagement;

/// <summary>
/// A peer's compact text form, <c>host [vX.Y] [pN] [s[port]] [t[port]]</c>, e.g.
/// <c>electrum.example.org v1.4 s t50001</c>. A bare <c>s</c> or <c>t</c> means the network's default
/// port. Parsing and <see cref="Format"/> round-trip; unknown or malformed tokens are ignored.
/// </summary>
/// <param name="Host">The host.</param>
/// <param name="Ports">The TCP and SSL ports.</param>
/// <param name="Version">The protocol version the peer advertises, if any.</param>
/// <param name="Pruning">The pruning limit the peer advertises, if any.</param>
public sealed record PeerRealName(PeerHost Host, PeerPorts Ports, ProtocolVersion? Version = null, long? Pruning = null)
{
    /// <summary>Parses a real name.</summary>
    /// <param name="text">The text, e.g. <c>electrum.example.org v1.4 s t50001</c>.</param>
    /// <param name="defaults">The network's default ports, used for a bare <c>s</c> or <c>t</c>.</param>
    /// <returns>The real name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is empty or its host is not valid; the message names the input.</exception>
    public static PeerRealName Parse(string text, DefaultPorts defaults)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (!TryParse(text.AsSpan(), defaults, out var result, out var error))
        {
            throw new FormatException($"'{text}' is not a valid peer real name: {error}.");
        }

        return result;
    }

    /// <summary>Tries to parse a real name.</summary>
    /// <param name="text">The text.</param>
    /// <param name="defaults">The network's default ports.</param>
    /// <param name="result">The real name, when the text is one.</param>
    /// <returns><see langword="true"/> when the text is a real name with a valid host.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, DefaultPorts defaults, [NotNullWhen(true)] out PeerRealName? result)
        => TryParse(text.AsSpan(), defaults, out result, out _);

    /// <summary>Tries to parse a real name, saying why it is not one.</summary>
    /// <param name="text">The text.</param>
    /// <param name="defaults">The network's default ports.</param>
    /// <param name="result">The real name, when the text is one.</param>
    /// <param name="error">Why the text is not a real name, when it is not.</param>
    /// <returns><see langword="true"/> when the text is a real name with a valid host.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, DefaultPorts defaults, [NotNullWhen(true)] out PeerRealName? result, [NotNullWhen(false)] out string? error)
    {
        result = null;
        text = text.Trim();
        if (text.IsEmpty)
        {
            error = "it is empty";
            return false;
        }

        var end = text.IndexOfAny(' ', '\t');
        var hostText = end < 0 ? text : text[..end];
        if (!PeerHost.TryParse(hostText, out var host, out error))
        {
            return false;
        }

        var tokens = new TokenReader(defaults);
        if (end >= 0)
        {
            var rest = text[end..];
            foreach (var range in rest.SplitAny(' ', '\t'))
            {
                tokens.Read(rest[range]);
            }
        }

        result = tokens.Build(host);
        return true;
    }

    /// <summary>
    /// Builds a real name from a host and the feature tokens of a <c>server.peers.subscribe</c> entry
    /// (e.g. <c>["v1.4", "s50002", "t"]</c>). Unknown or malformed tokens are ignored.
    /// </summary>
    /// <param name="host">The host.</param>
    /// <param name="tokens">The feature tokens.</param>
    /// <param name="defaults">The network's default ports.</param>
    /// <returns>The real name.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="tokens"/> is <see langword="null"/>.</exception>
    public static PeerRealName FromTokens(PeerHost host, IEnumerable<string> tokens, DefaultPorts defaults)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var reader = new TokenReader(defaults);
        foreach (var token in tokens)
        {
            reader.Read(token.AsSpan());
        }

        return reader.Build(host);
    }

    /// <summary>The feature tokens of this name: version, pruning, SSL and TCP ports, in that order.</summary>
    /// <param name="defaults">The network's default ports: a port equal to its default is written bare.</param>
    /// <returns>The tokens, e.g. <c>["v1.4", "s", "t50011"]</c>.</returns>
    public IReadOnlyList<string> ToTokens(DefaultPorts defaults)
    {
        var tokens = new List<string>(4);
        if (Version is { } version)
        {
            tokens.Add("v" + version.ToString());
        }

        if (Pruning is { } pruning)
        {
            tokens.Add("p" + pruning.ToString(CultureInfo.InvariantCulture));
        }

        if (Ports.SslPort is { } ssl)
        {
            tokens.Add(ssl == defaults.Ssl ? "s" : "s" + ssl.ToString(CultureInfo.InvariantCulture));
        }

        if (Ports.TcpPort is { } tcp)
        {
            tokens.Add(tcp == defaults.Tcp ? "t" : "t" + tcp.ToString(CultureInfo.InvariantCulture));
        }

        return tokens;
    }

    /// <summary>Formats the real name; a port equal to the network's default is written as a bare letter.</summary>
    /// <param name="defaults">The network's default ports.</param>
    /// <returns>The text, e.g. <c>electrum.example.org v1.4 s t50011</c>.</returns>
    public string Format(DefaultPorts defaults)
    {
        var builder = new StringBuilder(Host.Value, Host.Value.Length + 24);
        foreach (var token in ToTokens(defaults))
        {
            builder.Append(' ').Append(token);
        }

        return builder.ToString();
    }

    /// <summary>Formats the real name with every port written out, so it reads the same whatever the network.</summary>
    /// <returns>The text, e.g. <c>electrum.example.org v1.4 s50002 t50001</c>.</returns>
    public override string ToString()
    {
        var builder = new StringBuilder(Host.Value, Host.Value.Length + 24);
        if (Version is { } version)
        {
            builder.Append(" v").Append(version.ToString());
        }

        if (Pruning is { } pruning)
        {
            builder.Append(" p").Append(pruning.ToString(CultureInfo.InvariantCulture));
        }

        if (Ports.SslPort is { } ssl)
        {
            builder.Append(" s").Append(ssl.ToString(CultureInfo.InvariantCulture));
        }

        if (Ports.TcpPort is { } tcp)
        {
            builder.Append(" t").Append(tcp.ToString(CultureInfo.InvariantCulture));
        }

        return builder.ToString();
    }

    /// <summary>Reads the tokens after the host; later tokens of the same letter win, malformed ones are ignored.</summary>
    private struct TokenReader(DefaultPorts defaults)
    {
        private int? _tcp;
        private int? _ssl;
        private ProtocolVersion? _version;
        private long? _pruning;

        public void Read(ReadOnlySpan<char> token)
        {
            if (token.Length == 0)
            {
                return;
            }

            var value = token[1..];
            switch (token[0])
            {
                case 'v' or 'V':
                    if (ProtocolVersion.TryParse(value, out var version))
                    {
                        _version = version;
                    }

                    break;
                case 'p' or 'P':
                    if (long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var pruning) && pruning > 0)
                    {
                        _pruning = pruning;
                    }

                    break;
                case 's' or 'S':
                    _ssl = ReadPort(value, defaults.Ssl) ?? _ssl;
                    break;
                case 't' or 'T':
                    _tcp = ReadPort(value, defaults.Tcp) ?? _tcp;
                    break;
            }
        }

        public readonly PeerRealName Build(PeerHost host) => new(host, new PeerPorts(_tcp, _ssl), _version, _pruning);

        private static int? ReadPort(ReadOnlySpan<char> value, int defaultPort)
        {
            if (value.IsEmpty)
            {
                return defaultPort;
            }

            return int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && PeerPorts.IsValidPort(port)
                ? port
                : null;
        }
    }
}
