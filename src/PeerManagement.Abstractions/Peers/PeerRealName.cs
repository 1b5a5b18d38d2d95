using System.Buffers;
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
        => TryParseCore(text, defaults, strict: false, out result, out error);

    /// <summary>
    /// Parses a real name as an operator types it (an admin add): one host, then only known tokens with valid values
    /// (<c>v1.4</c>, <c>p10000</c>, <c>s</c>, <c>s50002</c>, <c>t</c>, <c>t50001</c>, ports 1–65535). Unlike
    /// <see cref="TryParse(ReadOnlySpan{char}, DefaultPorts, out PeerRealName?, out string?)"/>, which reads other
    /// nodes' lists leniently as the reference servers do, an unknown or malformed token is an error naming it.
    /// </summary>
    /// <param name="text">The text.</param>
    /// <param name="defaults">The network's default ports.</param>
    /// <param name="result">The real name, when the text is one.</param>
    /// <param name="error">Why the text is not a real name, quoting at most <see cref="MaxQuotedLength"/> characters of it.</param>
    /// <returns><see langword="true"/> when the whole text is a real name.</returns>
    public static bool TryParseStrict(ReadOnlySpan<char> text, DefaultPorts defaults, [NotNullWhen(true)] out PeerRealName? result, [NotNullWhen(false)] out string? error)
        => TryParseCore(text, defaults, strict: true, out result, out error);

    private static bool TryParseCore(ReadOnlySpan<char> text, DefaultPorts defaults, bool strict, [NotNullWhen(true)] out PeerRealName? result, [NotNullWhen(false)] out string? error)
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
            error = strict ? $"its host '{Quote(hostText)}' is not valid: {error}" : error;
            return false;
        }

        var tokens = new TokenReader(defaults);
        if (end >= 0)
        {
            // Token by token, as SplitAny would cut them (an empty token between two separators is skipped).
            var rest = text[(end + 1)..];
            while (true)
            {
                var separator = rest.IndexOfAny(' ', '\t');
                var token = separator < 0 ? rest : rest[..separator];

                // Other nodes' lists are read leniently (an unknown token is ignored); an operator's input is not.
                if (!tokens.Read(token) && strict)
                {
                    error = $"'{Quote(token)}' is not a token of a real name (v<version>, p<pruning>, s[port], t[port], ports 1-65535)";
                    return false;
                }

                if (separator < 0)
                {
                    break;
                }

                rest = rest[(separator + 1)..];
            }
        }

        result = tokens.Build(host);
        return true;
    }

    /// <summary>At most this many characters of a text are quoted back in an error.</summary>
    public const int MaxQuotedLength = 100;

    /// <summary>The text as an error message quotes it: at most <see cref="MaxQuotedLength"/> characters, then an ellipsis.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The quoted text.</returns>
    public static string Quote(ReadOnlySpan<char> text)
        => text.Length <= MaxQuotedLength ? text.ToString() : string.Concat(text[..MaxQuotedLength], "…");

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
        FormatTokens(Ports, Version, Pruning, defaults, static (token, list) => list.Add(token.ToString()), tokens);
        return tokens;
    }

    /// <summary>Formats the real name; a port equal to the network's default is written as a bare letter.</summary>
    /// <param name="defaults">The network's default ports.</param>
    /// <returns>The text, e.g. <c>electrum.example.org v1.4 s t50011</c>.</returns>
    public string Format(DefaultPorts defaults) => FormatWith(defaults, bareDefaults: true);

    /// <summary>Formats the real name with every port written out, so it reads the same whatever the network.</summary>
    /// <returns>The text, e.g. <c>electrum.example.org v1.4 s50002 t50001</c>.</returns>
    public override string ToString() => FormatWith(default, bareDefaults: false);

    /// <summary>
    /// The one formatter of feature tokens (<c>v1.4</c>, <c>p10000</c>, <c>s</c>, <c>t50011</c>, in that order), for
    /// real names and for the entries of a <c>server.peers.subscribe</c> answer. Each token is handed to
    /// <paramref name="write"/> as a span that is only valid during the call: nothing is allocated.
    /// </summary>
    /// <typeparam name="TState">What <paramref name="write"/> writes to.</typeparam>
    /// <param name="ports">The ports.</param>
    /// <param name="version">The protocol version, if known.</param>
    /// <param name="pruning">The pruning limit, if any.</param>
    /// <param name="defaults">The network's default ports: a port equal to its default is written as a bare letter.</param>
    /// <param name="write">Receives each token.</param>
    /// <param name="state">Passed to <paramref name="write"/>.</param>
    /// <exception cref="ArgumentNullException"><paramref name="write"/> is <see langword="null"/>.</exception>
    public static void FormatTokens<TState>(PeerPorts ports, ProtocolVersion? version, long? pruning, DefaultPorts defaults, ReadOnlySpanAction<char, TState> write, TState state)
    {
        ArgumentNullException.ThrowIfNull(write);
        FormatTokens(ports, version, pruning, defaults, bareDefaults: true, write, state);
    }

    private static void FormatTokens<TState>(PeerPorts ports, ProtocolVersion? version, long? pruning, DefaultPorts defaults, bool bareDefaults, ReadOnlySpanAction<char, TState> write, TState state)
    {
        Span<char> token = stackalloc char[32];
        if (version is { } v)
        {
            token[0] = 'v';
            v.TryFormat(token[1..], out var length);
            write(token[..(1 + length)], state);
        }

        if (pruning is { } p)
        {
            write(Numbered(token, 'p', p), state);
        }

        if (ports.SslPort is { } ssl)
        {
            write(bareDefaults && ssl == defaults.Ssl ? "s" : Numbered(token, 's', ssl), state);
        }

        if (ports.TcpPort is { } tcp)
        {
            write(bareDefaults && tcp == defaults.Tcp ? "t" : Numbered(token, 't', tcp), state);
        }

        static ReadOnlySpan<char> Numbered(Span<char> token, char letter, long number)
        {
            token[0] = letter;
            number.TryFormat(token[1..], out var digits, default, CultureInfo.InvariantCulture);
            return token[..(1 + digits)];
        }
    }

    private string FormatWith(DefaultPorts defaults, bool bareDefaults)
    {
        var builder = new StringBuilder(Host.Value, Host.Value.Length + 24);
        FormatTokens(Ports, Version, Pruning, defaults, bareDefaults, static (token, b) => b.Append(' ').Append(token), builder);
        return builder.ToString();
    }

    /// <summary>Reads the tokens after the host; later tokens of the same letter win, malformed ones are ignored.</summary>
    private struct TokenReader(DefaultPorts defaults)
    {
        private int? _tcp;
        private int? _ssl;
        private ProtocolVersion? _version;
        private long? _pruning;

        /// <summary>Reads one token; <see langword="false"/> when it is not a known form with a valid value (it is then ignored).</summary>
        public bool Read(ReadOnlySpan<char> token)
        {
            if (token.Length == 0)
            {
                return true;
            }

            var value = token[1..];
            switch (token[0])
            {
                case 'v' or 'V' when ProtocolVersion.TryParse(value, out var version):
                    _version = version;
                    return true;
                case 'p' or 'P' when TryParseDigits(value, out var pruning) && pruning > 0:
                    _pruning = pruning;
                    return true;
                case 's' or 'S' when ReadPort(value, defaults.Ssl) is { } ssl:
                    _ssl = ssl;
                    return true;
                case 't' or 'T' when ReadPort(value, defaults.Tcp) is { } tcp:
                    _tcp = tcp;
                    return true;
                default:
                    return false;
            }
        }

        public readonly PeerRealName Build(PeerHost host) => new(host, new PeerPorts(_tcp, _ssl), _version, _pruning);

        private static int? ReadPort(ReadOnlySpan<char> value, int defaultPort)
        {
            if (value.IsEmpty)
            {
                return defaultPort;
            }

            return TryParseDigits(value, out var port) && PeerPorts.IsValidPort(port)
                ? (int)port
                : null;
        }

        // Decimal digits only (as NumberStyles.None reads them), without the culture lookup of long.TryParse.
        private static bool TryParseDigits(ReadOnlySpan<char> value, out long number)
        {
            number = 0;
            if (value.IsEmpty)
            {
                return false;
            }

            if (value.Length > 18)
            {
                return !value.ContainsAnyExceptInRange('0', '9')
                    && long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out number);
            }

            foreach (var c in value)
            {
                var digit = (uint)(c - '0');
                if (digit > 9)
                {
                    number = 0;
                    return false;
                }

                number = (number * 10) + digit;
            }

            return true;
        }
    }
}
