using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Net;

namespace PeerManagement;

/// <summary>
/// The IPv4 literal syntax of <see cref="PeerHost"/>: exactly four decimal parts 0–255 without leading zeros. A
/// name whose last label is a number is that or nothing, because resolvers (inet_aton, getaddrinfo, .NET) read
/// hex, octal and short forms such as <c>0x7f.1</c>, <c>0177.0.0.1</c> or <c>2130706433</c> as addresses without
/// asking DNS.
/// </summary>
internal static class IPv4LiteralSyntax
{
    private static readonly SearchValues<char> HexDigits = SearchValues.Create("0123456789abcdefABCDEF");

    /// <summary>Whether the last label is a number, so the text can only be an IPv4 literal.</summary>
    public static bool EndsInNumber(ReadOnlySpan<char> host)
    {
        // The WHATWG URL "ends in a number" rule: all decimal digits, or 0x followed by hex digits.
        var last = host[(host.LastIndexOf('.') + 1)..];
        if (last.IsEmpty)
        {
            return false;
        }

        if (IsHexPrefixed(last))
        {
            return !last[2..].ContainsAnyExcept(HexDigits);
        }

        return !last.ContainsAnyExceptInRange('0', '9');
    }

    /// <summary>Reads the one accepted IPv4 spelling, or says which disguise the text is.</summary>
    public static bool TryParse(ReadOnlySpan<char> host, [NotNullWhen(true)] out IPAddress? address, [NotNullWhen(false)] out string? error)
    {
        address = null;

        // Spellings that some parsers read as another base are named first: they are the disguises.
        foreach (var range in host.Split('.'))
        {
            var part = host[range];
            if (IsHexPrefixed(part))
            {
                error = $"'{part}' is a hexadecimal number; an IPv4 address is four decimal parts 0-255 (a.b.c.d)";
                return false;
            }

            if (part.Length > 1 && part[0] == '0' && !part.ContainsAnyExceptInRange('0', '9'))
            {
                error = $"'{part}' has a leading zero, which some parsers read as octal; an IPv4 address is four decimal parts 0-255 without leading zeros";
                return false;
            }
        }

        var parts = host.Count('.') + 1;
        if (parts != 4)
        {
            error = $"its last label is a number (all digits or 0x hex), so it must be an IPv4 address of exactly four decimal parts 0-255 (a.b.c.d), and it has {parts}";
            return false;
        }

        Span<byte> bytes = stackalloc byte[4];
        var i = 0;
        foreach (var range in host.Split('.'))
        {
            var part = host[range];
            if (part.IsEmpty)
            {
                error = "an IPv4 address cannot have an empty part";
                return false;
            }

            if (part.ContainsAnyExceptInRange('0', '9'))
            {
                error = $"'{part}' is not a decimal IPv4 part 0-255";
                return false;
            }

            var value = 0;
            foreach (var c in part[..Math.Min(part.Length, 4)])
            {
                value = (value * 10) + (c - '0');
            }

            if (value > 255)
            {
                error = $"IPv4 part '{part}' is over 255";
                return false;
            }

            bytes[i++] = (byte)value;
        }

        address = new IPAddress(bytes);
        error = null;
        return true;
    }

    private static bool IsHexPrefixed(ReadOnlySpan<char> part) => part.Length >= 2 && part[0] == '0' && part[1] is 'x' or 'X';
}
