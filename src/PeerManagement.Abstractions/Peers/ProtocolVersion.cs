using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PeerManagement;

/// <summary>
/// An Electrum protocol version such as <c>1.4</c> or <c>1.4.2</c>. Text is normalised: a zero patch
/// number is omitted (<c>1.4.0</c> is <c>1.4</c>).
/// </summary>
public readonly struct ProtocolVersion : IEquatable<ProtocolVersion>, IComparable<ProtocolVersion>
{
    private const int MaxPart = 9999;

    /// <summary>Creates a version.</summary>
    /// <param name="major">The major number (0–9999).</param>
    /// <param name="minor">The minor number (0–9999).</param>
    /// <param name="patch">The patch number (0–9999).</param>
    /// <exception cref="ArgumentOutOfRangeException">A part is outside 0–9999.</exception>
    public ProtocolVersion(int major, int minor, int patch = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(major);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(major, MaxPart);
        ArgumentOutOfRangeException.ThrowIfNegative(minor);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minor, MaxPart);
        ArgumentOutOfRangeException.ThrowIfNegative(patch);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(patch, MaxPart);
        Major = major;
        Minor = minor;
        Patch = patch;
    }

    /// <summary>The major number.</summary>
    public int Major { get; }

    /// <summary>The minor number.</summary>
    public int Minor { get; }

    /// <summary>The patch number.</summary>
    public int Patch { get; }

    /// <summary>Parses <c>1</c>, <c>1.4</c> or <c>1.4.2</c>.</summary>
    /// <param name="text">The text.</param>
    /// <returns>The version.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    /// <exception cref="FormatException">The text is not a version; the message names it.</exception>
    public static ProtocolVersion Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return TryParse(text.AsSpan(), out var version)
            ? version
            : throw new FormatException($"'{text}' is not a protocol version (expected e.g. '1.4' or '1.4.2').");
    }

    /// <summary>Tries to parse <c>1</c>, <c>1.4</c> or <c>1.4.2</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="version">The version, when the text is one.</param>
    /// <returns><see langword="true"/> when the text is a version.</returns>
    public static bool TryParse([NotNullWhen(true)] string? text, out ProtocolVersion version)
        => TryParse(text.AsSpan(), out version);

    /// <summary>Tries to parse <c>1</c>, <c>1.4</c> or <c>1.4.2</c>.</summary>
    /// <param name="text">The text.</param>
    /// <param name="version">The version, when the text is one.</param>
    /// <returns><see langword="true"/> when the text is a version.</returns>
    public static bool TryParse(ReadOnlySpan<char> text, out ProtocolVersion version)
    {
        // One pass: up to three parts of one to four decimal digits (no culture or overflow to consult).
        version = default;
        int major = 0, minor = 0, value = 0, count = 0, digits = 0;
        foreach (var c in text)
        {
            if (c == '.')
            {
                if (digits == 0 || count == 2)
                {
                    return false;
                }

                (major, minor) = count == 0 ? (value, minor) : (major, value);
                count++;
                value = 0;
                digits = 0;
            }
            else if (char.IsAsciiDigit(c) && digits < 4)
            {
                value = (value * 10) + (c - '0');
                digits++;
            }
            else
            {
                return false;
            }
        }

        if (digits == 0)
        {
            return false;
        }

        version = count switch
        {
            0 => new ProtocolVersion(value, 0),
            1 => new ProtocolVersion(major, value),
            _ => new ProtocolVersion(major, minor, value),
        };
        return true;
    }

    /// <inheritdoc />
    public int CompareTo(ProtocolVersion other)
    {
        var c = Major.CompareTo(other.Major);
        if (c == 0)
        {
            c = Minor.CompareTo(other.Minor);
        }

        return c == 0 ? Patch.CompareTo(other.Patch) : c;
    }

    /// <inheritdoc />
    public bool Equals(ProtocolVersion other) => CompareTo(other) == 0;

    /// <inheritdoc />
    public override bool Equals(object? obj) => obj is ProtocolVersion other && Equals(other);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(Major, Minor, Patch);

    /// <summary>The normalised text: <c>1.4</c>, or <c>1.4.2</c> when the patch number is not zero.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => Patch == 0
        ? string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}")
        : string.Create(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}");

    /// <summary>Writes the normalised text (see <see cref="ToString"/>) without allocating.</summary>
    /// <param name="destination">Where to write.</param>
    /// <param name="charsWritten">How many characters were written.</param>
    /// <returns><see langword="false"/> when <paramref name="destination"/> is too short.</returns>
    public bool TryFormat(Span<char> destination, out int charsWritten)
    {
        // Parts written one by one: the interpolated form costs more than the rest of an answer entry.
        charsWritten = 0;
        if (!Major.TryFormat(destination, out var major, default, CultureInfo.InvariantCulture)
            || destination.Length <= major
            || !Minor.TryFormat(destination[(major + 1)..], out var minor, default, CultureInfo.InvariantCulture))
        {
            return false;
        }

        destination[major] = '.';
        var written = major + 1 + minor;
        if (Patch != 0)
        {
            if (destination.Length <= written || !Patch.TryFormat(destination[(written + 1)..], out var patch, default, CultureInfo.InvariantCulture))
            {
                return false;
            }

            destination[written] = '.';
            written += 1 + patch;
        }

        charsWritten = written;
        return true;
    }

    /// <summary>Compares two versions.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether they are equal.</returns>
    public static bool operator ==(ProtocolVersion left, ProtocolVersion right) => left.Equals(right);

    /// <summary>Compares two versions.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether they differ.</returns>
    public static bool operator !=(ProtocolVersion left, ProtocolVersion right) => !left.Equals(right);

    /// <summary>Compares two versions.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether the first is lower.</returns>
    public static bool operator <(ProtocolVersion left, ProtocolVersion right) => left.CompareTo(right) < 0;

    /// <summary>Compares two versions.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether the first is lower or equal.</returns>
    public static bool operator <=(ProtocolVersion left, ProtocolVersion right) => left.CompareTo(right) <= 0;

    /// <summary>Compares two versions.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether the first is higher.</returns>
    public static bool operator >(ProtocolVersion left, ProtocolVersion right) => left.CompareTo(right) > 0;

    /// <summary>Compares two versions.</summary>
    /// <param name="left">The first version.</param>
    /// <param name="right">The second version.</param>
    /// <returns>Whether the first is higher or equal.</returns>
    public static bool operator >=(ProtocolVersion left, ProtocolVersion right) => left.CompareTo(right) >= 0;
}
