namespace PeerManagement;

/// <summary>
/// Shares the strings that most peers report identically (genesis hash, hash function, server version), so
/// 100,000 entries do not keep 100,000 copies. Bounded: once full, new strings are simply not shared, so a
/// hostile peer cannot grow it.
/// </summary>
internal static class SharedStrings
{
    internal const int Capacity = 1024;

    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Strings = new(StringComparer.Ordinal);

    public static string Share(string text)
    {
        lock (Gate)
        {
            if (Strings.TryGetValue(text, out var shared))
            {
                return shared;
            }

            if (Strings.Count < Capacity)
            {
                Strings.Add(text);
            }

            return text;
        }
    }
}
