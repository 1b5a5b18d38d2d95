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
        version = default;
        Span<int> parts = stackalloc int[3];
        var count = 0;
        foreach (var range in text.Split('.'))
        {
            var part = text[range];
            if (count == 3 || part.IsEmpty || part.Length > 4 || part.ContainsAnyExceptInRange('0', '9'))
            {
                return false;
            }

            // At most four digits, checked above: no culture or overflow to consult.
            var value = 0;
            foreach (var digit in part)
            {
                value = (value * 10) + (digit - '0');
            }

            parts[count++] = value;
        }

        if (count == 0)
        {
            return false;
        }

        version = new ProtocolVersion(parts[0], parts[1], parts[2]);
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
    public bool TryFormat(Span<char> destination, out int charsWritten) => Patch == 0
        ? destination.TryWrite(CultureInfo.InvariantCulture, $"{Major}.{Minor}", out charsWritten)
        : destination.TryWrite(CultureInfo.InvariantCulture, $"{Major}.{Minor}.{Patch}", out charsWritten);

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
