using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace PeerManagement;

// The rules of a DNS name and of an onion name: what PeerHost.TryParse applies to anything that is not an IP literal.
public readonly partial struct PeerHost
{
    // The common case in one pass: a DNS name of ASCII letters, digits, hyphens and dots whose labels are valid and
    // whose last label is not a number. Anything else, or a name refused, goes the long way, which says why.
    private static bool TryParseCommonName(ReadOnlySpan<char> host, out PeerHost result)
    {
        result = default;
        if (host.Length > 0 && host[^1] == '.')
        {
            host = host[..^1];
        }

        if (host.IsEmpty || host.Length > MaxNameLength)
        {
            return false;
        }

        var hasUpper = false;
        var labelStart = 0;
        for (var i = 0; i < host.Length; i++)
        {
            var c = host[i];
            if (c == '.')
            {
                if (!IsCommonLabel(host[labelStart..i]))
                {
                    return false;
                }

                labelStart = i + 1;
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                hasUpper = true;
            }
            else if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                return false;
            }
        }

        return IsCommonLabel(host[labelStart..])
            && !IPv4LiteralSyntax.EndsInNumber(host[labelStart..])
            && TryCreateName(host, hasUpper, out result, out _);

        static bool IsCommonLabel(ReadOnlySpan<char> label)
            => label.Length is > 0 and <= MaxLabelLength && label[0] != '-' && label[^1] != '-';
    }

    private static bool TryParseName(ReadOnlySpan<char> host, out PeerHost result, out string? error)
    {
        result = default;
        if (host.ContainsAnyExcept(NameCharacters))
        {
            return TryParseNameSlowly(host, out result, out error);
        }

        // Every character is allowed: only the labels can be wrong, checked in order as the slow path does.
        var rest = host;
        while (true)
        {
            var dot = rest.IndexOf('.');
            if (!IsValidLabel(dot < 0 ? rest : rest[..dot], out error))
            {
                return false;
            }

            if (dot < 0)
            {
                break;
            }

            rest = rest[(dot + 1)..];
        }

        return TryCreateName(host, host.ContainsAnyInRange('A', 'Z'), out result, out error);
    }

    // The character-by-character check, which names the first character that is not allowed.
    private static bool TryParseNameSlowly(ReadOnlySpan<char> host, out PeerHost result, out string? error)
    {
        result = default;
        var hasUpper = false;
        var labelStart = 0;
        for (var i = 0; i <= host.Length; i++)
        {
            if (i == host.Length || host[i] == '.')
            {
                var label = host[labelStart..i];
                if (!IsValidLabel(label, out error))
                {
                    return false;
                }

                labelStart = i + 1;
                continue;
            }

            var c = host[i];
            if (char.IsAsciiLetterUpper(c))
            {
                hasUpper = true;
            }
            else if (!char.IsAsciiLetterLower(c) && !char.IsAsciiDigit(c) && c != '-')
            {
                error = $"'{c}' is not allowed in a host name";
                return false;
            }
        }

        return TryCreateName(host, hasUpper, out result, out error);
    }

    private static bool TryCreateName(ReadOnlySpan<char> host, bool hasUpper, out PeerHost result, out string? error)
    {
        result = default;
        var value = hasUpper ? string.Create(host.Length, host, static (span, text) => Lower(text, span)) : host.ToString();
        if (value == "localhost" || value.EndsWith(".localhost", StringComparison.Ordinal))
        {
            error = "localhost cannot be a peer";
            return false;
        }

        var kind = HostKind.DnsName;
        if (value.EndsWith(OnionSuffix, StringComparison.Ordinal))
        {
            if (!IsValidOnion(value.AsSpan(0, value.Length - OnionSuffix.Length)))
            {
                error = "an onion name must be 16 or 56 base32 characters before '.onion'";
                return false;
            }

            kind = HostKind.Onion;
        }

        result = new PeerHost(value, kind, null);
        error = null;
        return true;
    }

    // Only ASCII letters, digits, hyphens and dots get here: lowering is one bit.
    private static void Lower(ReadOnlySpan<char> text, Span<char> lowered)
    {
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            lowered[i] = char.IsAsciiLetterUpper(c) ? (char)(c | 0x20) : c;
        }
    }

    private static bool IsValidLabel(ReadOnlySpan<char> label, out string? error)
    {
        if (label.IsEmpty)
        {
            error = "a host name cannot have an empty label";
            return false;
        }

        if (label.Length > MaxLabelLength)
        {
            error = $"a host name label is at most {MaxLabelLength} characters";
            return false;
        }

        if (label[0] == '-' || label[^1] == '-')
        {
            error = "a host name label cannot start or end with '-'";
            return false;
        }

        error = null;
        return true;
    }

    private static bool IsValidOnion(ReadOnlySpan<char> name)
    {
        // The service id is the last label before ".onion"; sub-labels in front of it are allowed.
        var dot = name.LastIndexOf('.');
        var id = dot < 0 ? name : name[(dot + 1)..];
        if (id.Length != 16 && id.Length != 56)
        {
            return false;
        }

        foreach (var c in id)
        {
            if (!char.IsAsciiLetterLower(c) && c is not (>= '2' and <= '7'))
            {
                return false;
            }
        }

        return true;
    }
}
