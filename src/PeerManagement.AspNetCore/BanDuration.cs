using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace PeerManagement.AspNetCore;

/// <summary>Reads a ban duration as operators write it: a whole number and a unit, <c>90s</c>, <c>15m</c>, <c>1h</c>, <c>7d</c>, <c>2w</c>.</summary>
internal static class BanDuration
{
    public static readonly TimeSpan Max = TimeSpan.FromDays(3650);

    public static bool TryParse(string text, out TimeSpan duration, [NotNullWhen(false)] out string? error)
    {
        duration = default;
        var trimmed = text.Trim();
        if (trimmed.Length is < 2 or > 12
            || !long.TryParse(trimmed.AsSpan(0, trimmed.Length - 1), NumberStyles.None, CultureInfo.InvariantCulture, out var amount)
            || amount < 1)
        {
            error = $"'{PeerRealName.Quote(text)}' is not a duration: a positive whole number and a unit (s, m, h, d, w), e.g. 1h";
            return false;
        }

        TimeSpan? unit = char.ToLowerInvariant(trimmed[^1]) switch
        {
            's' => TimeSpan.FromSeconds(1),
            'm' => TimeSpan.FromMinutes(1),
            'h' => TimeSpan.FromHours(1),
            'd' => TimeSpan.FromDays(1),
            'w' => TimeSpan.FromDays(7),
            _ => null,
        };
        if (unit is null)
        {
            error = $"'{PeerRealName.Quote(text)}' has no known unit (s, m, h, d, w)";
            return false;
        }

        if (amount > Max.Ticks / unit.Value.Ticks)
        {
            error = $"'{PeerRealName.Quote(text)}' is longer than the longest ban (3650 days)";
            return false;
        }

        duration = TimeSpan.FromTicks(amount * unit.Value.Ticks);
        error = null;
        return true;
    }
}
